import { and, eq, lt } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx } from '@/db/client';
import { paymentAttempts, refunds, type PaymentIntent, type Refund } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { metadataSchema } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { captureEventOf, ensureCapturePosted, recordRefund } from '@/lib/ledger';
import { assertValidAmount, formatMoney, parseCurrency } from '@/lib/money';
import { getPaymentIntent } from '@/lib/payments/intents';
import { getPaymentMethodAdapter, paymentMethodCapabilities } from '@/lib/psp/registry';
import { PspError, type PspRefund } from '@/lib/psp/types';
import { refundedAmounts } from './amounts';
import { canTransitionRefund, isPendingRefund } from './state-machine';

export { refundedAmounts } from './amounts';

export const createRefundBody = z
  .object({
    payment_intent: z.string().min(1).max(100),
    amount: z.number().optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();

export function serializeRefund(r: Refund) {
  return {
    id: r.id,
    object: 'refund' as const,
    amount: r.amount,
    currency: r.currency,
    payment_intent: r.paymentIntentId,
    status: r.status,
    reason: r.reason,
    failure_reason: r.failureReason,
    created: Math.floor(r.createdAt.getTime() / 1000),
  };
}

async function succeededAttempt(db: DbOrTx, pi: PaymentIntent) {
  const [attempt] = await db
    .select()
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.paymentIntentId, pi.id), eq(paymentAttempts.status, 'succeeded')));
  if (!attempt?.pspReference) throw new Error(`succeeded intent ${pi.id} has no succeeded attempt at a PSP`);
  return attempt;
}

/**
 * Creates a refund: the amount is reserved in the ledger first (debited from the merchant's
 * balance into refunds in transit), in the same transaction as the refund row and its event, so
 * a refund the balance or the payment cannot cover is refused with nothing written. Then the PSP
 * is asked (see sendRefundToPsp).
 */
export async function createRefund(merchantId: string, input: z.output<typeof createRefundBody>): Promise<Refund> {
  const db = getDb();
  const pi = await getPaymentIntent(db, merchantId, input.payment_intent).catch(() => {
    throw new AppError('resource_missing', `No such payment_intent: '${input.payment_intent}'`, { param: 'payment_intent' });
  });
  if (pi.status !== 'succeeded') {
    throw new AppError(
      'payment_intent_unexpected_state',
      `This PaymentIntent has no captured funds to refund (status ${pi.status}).`,
      { param: 'payment_intent' },
    );
  }
  const currency = parseCurrency(pi.currency);
  const attempt = await succeededAttempt(db, pi);
  if (!paymentMethodCapabilities(attempt.psp).refunds) {
    // The method cannot refund through its PSP (M-Pesa: Daraja's Reversal/B2C, not called yet).
    throw new AppError(
      'refund_not_supported',
      `Refunds of ${attempt.psp} payments are not supported yet; refund the customer through the PSP directly.`,
      { param: 'payment_intent' },
    );
  }
  // the capture must be on the books before money is taken back from it
  await ensureCapturePosted(db, await captureEventOf(db, pi.id));
  const alreadyRefunded = (await refundedAmounts(db, [pi.id])).get(pi.id) ?? 0;
  const amount = input.amount ?? pi.amountReceived - alreadyRefunded;
  if (amount <= 0 && input.amount === undefined) {
    throw new AppError(
      'amount_too_large',
      `This payment has already been refunded in full (${formatMoney(alreadyRefunded, currency)}).`,
      { param: 'amount' },
    );
  }
  assertValidAmount(amount, currency);
  // the method's own rules (M-Pesa: whole shillings), before anything is reserved
  getPaymentMethodAdapter(attempt.psp).assertCanRefund?.({ amount, currency, amountCaptured: pi.amountReceived });
  const refund = await db.transaction(async (tx) => {
    const id = newId('refund');
    const [row] = await tx
      .insert(refunds)
      .values({
        id,
        merchantId,
        paymentIntentId: pi.id,
        amount,
        currency,
        status: 'pending',
        reason: input.reason ?? null,
        psp: attempt.psp,
        pspIdempotencyKey: `${id}:refund`,
      })
      .returning();
    if (!row) throw new Error('refund insert returned nothing');
    const eventId = await writeOutboxEvent(tx, {
      type: 'refund.created',
      merchantId,
      aggregateType: 'refund',
      aggregateId: id,
      data: { object: serializeRefund(row) },
    });
    // Checks captured - refunded under the payment's ledger lock, and the balance under the wallet lock.
    await recordRefund(tx, { eventId, refundId: id, merchantId, paymentIntentId: pi.id, currency, amountMinor: amount });
    return row;
  });
  return sendRefundToPsp(refund.id);
}

/**
 * Asks the PSP to refund (again): the refund's own idempotency key makes a repeat return the
 * first result, so this is safe to call any number of times. A PSP that says no fails the refund
 * (and the ledger gives the money back); a PSP that cannot be reached leaves it pending.
 */
export async function sendRefundToPsp(refundId: string): Promise<Refund> {
  const db = getDb();
  const [refund] = await db.select().from(refunds).where(eq(refunds.id, refundId));
  if (!refund) throw new AppError('resource_missing', `No such refund: '${refundId}'`);
  if (!isPendingRefund(refund)) return refund;
  const [attempt] = await db
    .select()
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.paymentIntentId, refund.paymentIntentId), eq(paymentAttempts.status, 'succeeded')));
  let outcome: Pick<PspRefund, 'status' | 'pspReference' | 'failureReason'>;
  try {
    // the payment's own PSP (refund.psp, copied from its attempt): only it holds the charge
    outcome = await getPaymentMethodAdapter(refund.psp).refund(attempt!.pspReference!, refund.amount, refund.pspIdempotencyKey);
  } catch (err) {
    if (!(err instanceof PspError)) throw err;
    if (err.kind !== 'rejected') return refund; // unknown or not sent: stays pending, retried later
    outcome = { status: 'failed', pspReference: '', failureReason: err.message };
  }
  return applyRefundOutcome(refundId, outcome);
}

/** Records the PSP's answer once; a refund that already has an outcome is left as it is. */
export async function applyRefundOutcome(
  refundId: string,
  outcome: Pick<PspRefund, 'status' | 'pspReference' | 'failureReason'>,
): Promise<Refund> {
  return getDb().transaction(async (tx) => {
    const [refund] = await tx.select().from(refunds).where(eq(refunds.id, refundId)).for('update');
    if (!refund) throw new Error(`refund ${refundId} not found`);
    // A refund with an outcome keeps it: REFUND_TRANSITIONS lets nothing leave succeeded or failed.
    if (!canTransitionRefund(refund.status, outcome.status)) return refund;
    const [updated] = await tx
      .update(refunds)
      .set({
        status: outcome.status,
        pspReference: outcome.pspReference || refund.pspReference,
        failureReason: outcome.status === 'failed' ? (outcome.failureReason ?? 'The PSP declined the refund.') : null,
        updatedAt: new Date(),
      })
      .where(eq(refunds.id, refundId))
      .returning();
    if (!updated) throw new Error(`refund ${refundId} not found`);
    if (updated.status !== 'pending') {
      await writeOutboxEvent(tx, {
        type: updated.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
        merchantId: updated.merchantId,
        aggregateType: 'refund',
        aggregateId: updated.id,
        data: { object: serializeRefund(updated) },
      });
    }
    return updated;
  });
}

/**
 * Puts what the PSP said about a pending refund on its timeline (and tells the merchant, as
 * refund.updated) without changing it: an asynchronous PSP's Result before it is verified.
 */
export async function recordRefundPspNotice(refundId: string, notice: Record<string, unknown>): Promise<void> {
  await getDb().transaction(async (tx) => {
    const [refund] = await tx.select().from(refunds).where(eq(refunds.id, refundId));
    if (!refund || !isPendingRefund(refund)) return;
    await writeOutboxEvent(tx, {
      type: 'refund.updated',
      merchantId: refund.merchantId,
      aggregateType: 'refund',
      aggregateId: refund.id,
      data: { object: serializeRefund(refund), psp_notice: notice },
    });
  });
}

export async function getRefund(merchantId: string, id: string): Promise<Refund> {
  const [r] = await getDb()
    .select()
    .from(refunds)
    .where(and(eq(refunds.id, id), eq(refunds.merchantId, merchantId)));
  if (!r) throw new AppError('resource_missing', `No such refund: '${id}'`, { param: 'id' });
  return r;
}

export const listRefundsQuery = z
  .object({ ...pageParams, payment_intent: z.string().min(1).max(100).optional() })
  .strict()
  .superRefine(oneCursor);

export async function listRefunds(merchantId: string, query: z.output<typeof listRefundsQuery>) {
  const page = await keysetPage<Refund>({
    ...byCreation(refunds),
    request: query,
    scope: eq(refunds.merchantId, merchantId),
    filter: query.payment_intent ? eq(refunds.paymentIntentId, query.payment_intent) : undefined,
    unknownCursor: { error: 'refund' },
  });
  return listObject('/api/v1/refunds', page, serializeRefund);
}

/** Refunds still waiting for the PSP, oldest first (the safety net re-sends them). */
export async function findPendingRefunds(olderThanMs: number, limit = 100): Promise<string[]> {
  const rows = await getDb()
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.status, 'pending'), lt(refunds.createdAt, new Date(Date.now() - olderThanMs))))
    .orderBy(refunds.createdAt)
    .limit(limit);
  return rows.map((r) => r.id);
}
