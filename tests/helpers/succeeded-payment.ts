/**
 * A succeeded card payment committed straight through the state machine (no API, no PSP): the
 * intent and its attempt, moved to succeeded in one transaction, which writes the outbox events
 * the relay then sends (payment_intent.succeeded and the charge.succeeded beside it). For tests
 * and benchmarks of what runs after a payment: the ledger consumer, webhooks, receipts.
 */
import { inArray } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { outboxEvents, paymentAttempts, paymentIntents } from '@/db/schema';
import { chargeIdOf } from '@/lib/api-objects/charge-id';
import { newId } from '@/lib/ids';
import { transitionLockedAttempt, transitionPaymentIntent } from '@/lib/payments/transition';

export interface SucceededPayment {
  intentId: string;
  /** The payment_intent.succeeded outbox event (the ledger consumer's trigger). */
  eventId: string;
  /** Every outbox event the transaction wrote. */
  outboxIds: string[];
}

export async function commitSucceededPayment(
  merchantId: string,
  options: { amount: number; customerEmail?: string; idempotencyPrefix?: string },
): Promise<SucceededPayment> {
  const { amount, customerEmail = null, idempotencyPrefix = 'test' } = options;
  return getDb().transaction(async (tx) => {
    const intentId = newId('paymentIntent');
    const attemptId = newId('paymentAttempt');
    const [intent] = await tx
      .insert(paymentIntents)
      .values({
        id: intentId,
        merchantId,
        amount,
        currency: 'usd',
        status: 'processing',
        captureMethod: 'automatic',
        customerEmail,
        latestAttemptId: attemptId,
      })
      .returning();
    await tx.insert(paymentAttempts).values({
      id: attemptId,
      paymentIntentId: intentId,
      merchantId,
      status: 'pending',
      amount,
      currency: 'usd',
      psp: 'sandbox_card',
      pspIdempotencyKey: `${idempotencyPrefix}-${attemptId}`,
      paymentMethodType: 'card',
    });
    await transitionLockedAttempt(tx, { id: attemptId, status: 'pending' }, 'succeeded');
    await transitionPaymentIntent(tx, intent!, 'succeeded', { amountReceived: amount });
    const written = await tx
      .select({ id: outboxEvents.id, type: outboxEvents.type })
      .from(outboxEvents)
      .where(inArray(outboxEvents.aggregateId, [intentId, chargeIdOf(attemptId)]));
    const succeeded = written.find((e) => e.type === 'payment_intent.succeeded');
    if (!succeeded) throw new Error(`no payment_intent.succeeded written for ${intentId}`);
    return { intentId, eventId: succeeded.id, outboxIds: written.map((e) => e.id) };
  });
}
