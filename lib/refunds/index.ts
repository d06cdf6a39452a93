import { and, eq, lt } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { paymentAttempts, refunds, type PaymentIntent, type Refund } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { mergeMetadata } from '@/lib/customers';
import { metadataSchema } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { captureEventOf, ensureCapturePosted, recordRefund } from '@/lib/ledger';
import { assertValidAmount, formatMoney, parseCurrency } from '@/lib/money';
import { getPaymentIntent } from '@/lib/payments/intents';
import { getPaymentMethodAdapter, methodOfPsp, paymentMethodCapabilities } from '@/lib/psp/registry';
import { PspError, type PspRefund } from '@/lib/psp/types';
import { refundedAmounts } from './amounts';
import { retrieveChargeJson } from '@/lib/api-objects/charge';
import { attemptIdOf, chargeIdOf } from '@/lib/api-objects/charge-id';
import { attemptOfCharge } from './charge-link';
import { canTransitionRefund, isPendingRefund } from './state-machine';

export { refundedAmounts } from './amounts';
export { attemptOfCharge } from './charge-link';

const chargeIdOfRefund = (r: Refund): string | null => (r.paymentAttemptId ? chargeIdOf(r.paymentAttemptId) : null);

/** Stripe's refund parameters: the payment is named by its payment_intent or by its charge (ch_), one of them. */
export const createRefundBody = z
  .object({
    payment_intent: z.string().min(1).max(100).optional(),
    charge: z.string().min(1).max(100).optional(),
    amount: z.number().optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.payment_intent === undefined && body.charge === undefined) {
      ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['payment_intent'], message: 'received undefined: pass payment_intent or charge' });
    } else if (body.payment_intent !== undefined && body.charge !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['charge'], message: 'pass payment_intent or charge, not both' });
    }
  });

/** POST /v1/refunds/:id: only the metadata of a refund can change (Stripe's rule too). */
export const updateRefundBody = z
  .object({ metadata: z.record(z.string().min(1).max(40), z.string().max(500)).optional() })
  .strict();

export function serializeRefund(r: Refund, chargeId: string | null = chargeIdOfRefund(r)) {
  return {
    id: r.id,
    object: 'refund' as const,
    amount: r.amount,
    balance_transaction: null,
    charge: chargeId,
    created: Math.floor(r.createdAt.getTime() / 1000),
    currency: r.currency,
    metadata: r.metadata,
    payment_intent: r.paymentIntentId,
    reason: r.reason,
    receipt_number: null,
    status: r.status,
    failure_reason: r.failureReason,
    destination_details: destinationDetails(r),
  };
}

/**
 * Stripe's destination_details: where the money went back and the PSP's reference for it (for
 * M-Pesa, our extension, the receipt of the reversal or B2C payout the customer's SMS names).
 */
function destinationDetails(r: Refund) {
  const type = methodOfPsp(r.psp);
  if (!type) return null;
  const reference = r.pspReference ? { reference: r.pspReference, reference_status: r.status === 'succeeded' ? 'available' : 'pending' } : { reference: null, reference_status: 'unavailable' };
  return { type, [type]: { ...reference, reference_type: type === 'mpesa' ? 'mpesa_receipt' : 'psp_refund_id' } };
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
  const param = input.charge !== undefined ? 'charge' : 'payment_intent';
  const paymentIntentId = input.charge !== undefined ? (await attemptOfCharge(db, merchantId, input.charge)).paymentIntentId : input.payment_intent!;
  const pi = await getPaymentIntent(db, merchantId, paymentIntentId).catch(() => {
    throw new AppError('resource_missing', `No such payment_intent: '${paymentIntentId}'`, { param });
  });
  if (pi.status !== 'succeeded') {
    throw new AppError(
      'payment_intent_unexpected_state',
      `This PaymentIntent has no captured funds to refund (status ${pi.status}).`,
      { param },
    );
  }
  const currency = parseCurrency(pi.currency);
  const attempt = await succeededAttempt(db, pi);
  if (input.charge !== undefined && chargeIdOf(attempt.id) !== input.charge) {
    throw new AppError('payment_intent_unexpected_state', `Charge ${input.charge} did not succeed, so it has nothing to refund.`, { param });
  }
  if (!paymentMethodCapabilities(attempt.psp).refunds) {
    // The method cannot refund through its PSP (M-Pesa: Daraja's Reversal/B2C, not called yet).
    throw new AppError(
      'refund_not_supported',
      `Refunds of ${attempt.psp} payments are not supported yet; refund the customer through the PSP directly.`,
      { param },
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
        paymentAttemptId: attempt.id,
        amount,
        currency,
        status: 'pending',
        reason: input.reason ?? null,
        metadata: input.metadata ?? {},
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
    await recordRefund(tx, { eventId, refundId: id, merchantId, paymentIntentId: pi.id, currency, amountMinor: amount }).catch((err: unknown) => {
      // Stripe's answer to a refund the balance cannot cover (an invalid request, not a card error)
      if (err instanceof AppError && err.code === 'insufficient_balance') throw new AppError('balance_insufficient', err.message, { param: 'amount', cause: err });
      throw err;
    });
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
      const object = serializeRefund(updated);
      await writeOutboxEvent(tx, {
        type: updated.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
        merchantId: updated.merchantId,
        aggregateType: 'refund',
        aggregateId: updated.id,
        data: { object },
      });
      await writeRefundUpdatedEvents(tx, updated, { status: refund.status });
      if (updated.status === 'succeeded') await writeChargeRefundedEvent(tx, updated);
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

/**
 * Stripe's refund.updated and charge.refund.updated (both carry the refund), written with the
 * change they announce. `previous` holds the changed fields' old values.
 */
async function writeRefundUpdatedEvents(tx: Tx, refund: Refund, previous: Record<string, unknown>): Promise<void> {
  const data = { object: serializeRefund(refund), previous_attributes: previous };
  for (const type of ['refund.updated', 'charge.refund.updated'] as const) {
    await writeOutboxEvent(tx, { type, merchantId: refund.merchantId, aggregateType: 'refund', aggregateId: refund.id, data });
  }
}

/** Stripe's charge.refunded, once a refund's money has gone back: the charge with its amount_refunded after it. */
async function writeChargeRefundedEvent(tx: Tx, refund: Refund): Promise<void> {
  if (!refund.paymentAttemptId) return;
  const chargeId = chargeIdOf(refund.paymentAttemptId);
  await writeOutboxEvent(tx, {
    type: 'charge.refunded',
    merchantId: refund.merchantId,
    aggregateType: 'charge',
    aggregateId: chargeId,
    data: { object: await retrieveChargeJson(refund.merchantId, chargeId, tx) },
  });
}

/** Updates a refund's metadata (Stripe's merge: '' removes a key); refund.updated announces it. */
export async function updateRefund(tx: Tx, merchantId: string, id: string, input: z.output<typeof updateRefundBody>): Promise<Refund> {
  const [refund] = await tx
    .select()
    .from(refunds)
    .where(and(eq(refunds.id, id), eq(refunds.merchantId, merchantId)))
    .for('update');
  if (!refund) throw new AppError('resource_missing', `No such refund: '${id}'`, { param: 'id' });
  if (input.metadata === undefined) return refund;
  const metadata = mergeMetadata(refund.metadata, input.metadata);
  const [updated] = await tx.update(refunds).set({ metadata, updatedAt: new Date() }).where(eq(refunds.id, refund.id)).returning();
  if (!updated) throw new Error(`refund ${id} vanished under its row lock`);
  await writeRefundUpdatedEvents(tx, updated, { metadata: refund.metadata });
  return updated;
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
  .object({ ...pageParams, payment_intent: z.string().min(1).max(100).optional(), charge: z.string().min(1).max(100).optional() })
  .strict()
  .superRefine(oneCursor);

export async function listRefunds(merchantId: string, query: z.output<typeof listRefundsQuery>) {
  const page = await keysetPage<Refund>({
    ...byCreation(refunds),
    request: query,
    scope: eq(refunds.merchantId, merchantId),
    filter: and(
      query.payment_intent ? eq(refunds.paymentIntentId, query.payment_intent) : undefined,
      // an unknown charge lists nothing, as an unknown payment_intent does
      query.charge ? eq(refunds.paymentAttemptId, attemptIdOf(query.charge) ?? '') : undefined,
    ),
    unknownCursor: { error: 'refund' },
  });
  return listObject('/v1/refunds', page, serializeRefund);
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
