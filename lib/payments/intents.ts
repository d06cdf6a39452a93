import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import {
  PAYMENT_INTENT_STATUSES,
  paymentAttempts,
  paymentDisputes,
  paymentIntents,
  type PaymentAttempt,
  type PaymentIntent,
} from '@/db/schema';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { metadataSchema } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { assertValidAmount, parseCurrency } from '@/lib/money';
import { getPaymentMethodAdapter, pspsForMethod } from '@/lib/psp/registry';
import { refundedAmounts } from '@/lib/refunds/amounts';
import { serializePaymentIntent } from './serialize';

export const createPaymentIntentBody = z
  .object({
    amount: z.number(),
    currency: z.string().min(3).max(3),
    capture_method: z.enum(['automatic', 'manual']).default('automatic'),
    description: z.string().max(1000).optional(),
    receipt_email: z.string().email().max(320).optional(),
    metadata: metadataSchema.optional(),
    /** The methods the intent will be confirmed with; each is checked against the amount here (M-Pesa: KES, whole shillings). */
    payment_method_types: z.array(z.enum(['card', 'mpesa'])).min(1).max(2).optional(),
  })
  .strict();
export type CreatePaymentIntentBody = z.output<typeof createPaymentIntentBody>;

export async function createPaymentIntent(
  tx: Tx,
  merchantId: string,
  input: CreatePaymentIntentBody & { checkoutSessionId?: string },
): Promise<PaymentIntent> {
  const currency = parseCurrency(input.currency);
  assertValidAmount(input.amount, currency);
  // a method that could never take this payment is refused now, not at confirm
  for (const method of input.payment_method_types ?? []) {
    const [psp] = pspsForMethod(method);
    if (psp) getPaymentMethodAdapter(psp).assertCanCharge({ amount: input.amount, currency, capture: input.capture_method === 'automatic' });
  }
  const [pi] = await tx
    .insert(paymentIntents)
    .values({
      id: newId('paymentIntent'),
      merchantId,
      amount: input.amount,
      currency,
      status: 'requires_payment_method',
      captureMethod: input.capture_method,
      description: input.description ?? null,
      customerEmail: input.receipt_email?.toLowerCase() ?? null,
      metadata: input.metadata ?? {},
      checkoutSessionId: input.checkoutSessionId ?? null,
    })
    .returning();
  if (!pi) throw new Error('payment intent insert returned nothing');
  await writeOutboxEvent(tx, {
    type: 'payment_intent.created',
    merchantId,
    aggregateType: 'payment_intent',
    aggregateId: pi.id,
    data: { object: serializePaymentIntent(pi) },
  });
  return pi;
}

/** A merchant's PaymentIntent; another merchant's id is indistinguishable from a missing one. */
export async function getPaymentIntent(db: DbOrTx, merchantId: string, id: string): Promise<PaymentIntent> {
  const [pi] = await db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)));
  if (!pi) throw new AppError('resource_missing', `No such payment_intent: '${id}'`, { param: 'id' });
  return pi;
}

/** Locks the row for the rest of the transaction (SELECT ... FOR UPDATE). */
export async function lockPaymentIntent(tx: Tx, merchantId: string, id: string): Promise<PaymentIntent> {
  const [pi] = await tx
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)))
    .for('update');
  if (!pi) throw new AppError('resource_missing', `No such payment_intent: '${id}'`, { param: 'id' });
  return pi;
}

export async function getAttempt(db: DbOrTx, id: string | null): Promise<PaymentAttempt | null> {
  if (!id) return null;
  const [a] = await db.select().from(paymentAttempts).where(eq(paymentAttempts.id, id));
  return a ?? null;
}

export async function retrievePaymentIntentJson(merchantId: string, id: string) {
  const db = getDb();
  const pi = await getPaymentIntent(db, merchantId, id);
  const refunded = (await refundedAmounts(db, [pi.id])).get(pi.id) ?? 0;
  const disputes = await db.select().from(paymentDisputes).where(eq(paymentDisputes.paymentIntentId, pi.id));
  return {
    ...serializePaymentIntent(pi, await getAttempt(db, pi.latestAttemptId), refunded),
    // a chargeback the PSP reported (Stripe's charge.dispute.created), newest last
    disputes: disputes.map((d) => ({
      id: d.id,
      amount: d.amount,
      currency: d.currency,
      reason: d.reason,
      status: d.status,
      created: Math.floor(d.disputedAt.getTime() / 1000),
    })),
  };
}

export const listPaymentIntentsQuery = z
  .object({ ...pageParams, status: z.enum(PAYMENT_INTENT_STATUSES).optional() })
  .strict()
  .superRefine(oneCursor);

/** Newest first, in pages (lib/pagination). */
export async function listPaymentIntents(merchantId: string, query: z.output<typeof listPaymentIntentsQuery>) {
  const db = getDb();
  const page = await keysetPage<PaymentIntent>({
    ...byCreation(paymentIntents),
    request: query,
    scope: eq(paymentIntents.merchantId, merchantId),
    filter: query.status ? eq(paymentIntents.status, query.status) : undefined,
    unknownCursor: { error: 'payment_intent' },
  });
  const refunded = await refundedAmounts(
    db,
    page.rows.map((pi) => pi.id),
  );
  return listObject('/api/v1/payment_intents', page, (pi) => serializePaymentIntent(pi, null, refunded.get(pi.id) ?? 0));
}
