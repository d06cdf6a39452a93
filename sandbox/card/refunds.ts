import { createHash } from 'node:crypto';
import type { SandboxCardRefund } from '@/db/schema';
import { randomToken } from '@/lib/ids';
import type { CardBrand } from './card-number';
import { emitRefundCallback } from './callbacks';
import { invalidRequest, invariant, notFound, SandboxError } from './errors';
import { findPaymentWithCard, withLockedPayment } from './payment-store';
import { findRefund, findRefundByIdempotencyKey, insertRefundUnlessKeyExists, refundedAmount } from './refund-store';
import { routeRefund } from './scheme';
import type { IssuerProfile } from './test-cards';

function requestHash(paymentId: string, amount: number): string {
  return createHash('sha256')
    .update(JSON.stringify([paymentId, amount]))
    .digest('hex');
}

/** A retry with the same key and body gets the first refund back; a different body is refused. */
function replay(existing: SandboxCardRefund, hash: string): SandboxCardRefund {
  if (existing.requestHash !== hash) {
    throw new SandboxError(
      400,
      'idempotency_error',
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body.',
    );
  }
  return existing;
}

/**
 * Returns `amount` of a captured payment to the card; the issuer answers at once (succeeded, or
 * failed for a closed card). Safe to run twice: the Idempotency-Key is unique in the table and is
 * looked up again under the payment's row lock, so a retried or concurrent duplicate returns the
 * first refund. The same lock serializes different refunds of one payment, so their sum can never
 * pass the captured amount.
 */
export async function refundPayment(paymentId: string, amount: number, idempotencyKey: string): Promise<SandboxCardRefund> {
  const hash = requestHash(paymentId, amount);
  const earlier = await findRefundByIdempotencyKey(idempotencyKey);
  if (earlier) return replay(earlier, hash);
  const found = await findPaymentWithCard(paymentId);
  if (!found) throw notFound('payment', paymentId);
  const { token } = found;

  const outcome = await withLockedPayment(paymentId, async (tx, payment) => {
    // A duplicate that waited for this lock sees the refund its twin just committed.
    const committed = await findRefundByIdempotencyKey(idempotencyKey, tx);
    if (committed) return { kind: 'replayed', refund: committed } as const;
    if (payment.status !== 'captured') {
      throw invalidRequest('payment_unexpected_state', `This payment is ${payment.status}; it cannot be refunded.`);
    }
    const alreadyRefunded = await refundedAmount(tx, payment.id);
    const refundable = payment.amountCaptured - alreadyRefunded;
    if (amount > refundable) {
      throw invalidRequest(
        'amount_too_large',
        `The refund amount (${amount}) is greater than the unrefunded amount on the payment (${refundable}).`,
        'amount',
      );
    }
    const decision = routeRefund(token.brand as CardBrand, token.issuerProfile as IssuerProfile);
    const inserted = await insertRefundUnlessKeyExists(tx, {
      id: `sbxre_${randomToken(24)}`,
      idempotencyKey,
      requestHash: hash,
      paymentId: payment.id,
      amount,
      currency: payment.currency,
      ...(decision.outcome === 'succeeded'
        ? { status: 'succeeded' }
        : { status: 'failed', failureReason: decision.failureReason }),
    });
    if (inserted && inserted.status !== 'failed') {
      const total = await refundedAmount(tx, payment.id);
      invariant(total <= payment.amountCaptured, `sandbox payment ${payment.id}: refunds exceed the captured amount`);
    }
    return { kind: 'inserted', refund: inserted } as const;
  });
  if (!outcome) throw notFound('payment', paymentId);
  if (outcome.kind === 'replayed') return replay(outcome.refund, hash);
  if (outcome.refund) {
    emitRefundCallback(outcome.refund); // after the commit: the merchant may read it back at once
    return outcome.refund;
  }
  // The same key was used at the same moment for a refund of another payment, which won the index.
  const winner = await findRefundByIdempotencyKey(idempotencyKey);
  if (!winner) throw new Error('idempotency conflict without a stored refund');
  return replay(winner, hash);
}

export async function getRefund(id: string): Promise<SandboxCardRefund> {
  const refund = await findRefund(id);
  if (!refund) throw notFound('refund', id);
  return refund;
}
