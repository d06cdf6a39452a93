import { and, eq } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { paymentIntents, type PaymentIntent, type PaymentIntentStatus } from '@/db/schema';
import { AppError, invariant } from '@/lib/errors';
import { writeOutboxEvent, type EventType } from '@/lib/events/outbox';
import { serializePaymentIntent } from './serialize';
import { canTransition } from './state-machine';

/** The outbox event each target state announces (none for requires_confirmation). */
const EVENT_FOR_STATUS: Partial<Record<PaymentIntentStatus, EventType>> = {
  requires_action: 'payment_intent.requires_action',
  processing: 'payment_intent.processing',
  requires_capture: 'payment_intent.amount_capturable_updated',
  succeeded: 'payment_intent.succeeded',
  requires_payment_method: 'payment_intent.payment_failed',
  canceled: 'payment_intent.canceled',
};

export type PaymentIntentPatch = Partial<
  Pick<
    PaymentIntent,
    'amountCapturable' | 'amountReceived' | 'lastPaymentError' | 'latestAttemptId' | 'cancellationReason' | 'canceledAt' | 'customerEmail'
  >
>;

/**
 * The only way a PaymentIntent changes state. Checks the transition table, updates the row only
 * if it is still in the state the caller saw (so a concurrent change is detected, never
 * overwritten), and writes the outbox event in the same transaction.
 */
export async function transitionPaymentIntent(
  tx: Tx,
  current: PaymentIntent,
  to: PaymentIntentStatus,
  patch: PaymentIntentPatch = {},
): Promise<PaymentIntent> {
  if (!canTransition(current.status, to)) {
    throw new AppError(
      'payment_intent_unexpected_state',
      `This PaymentIntent's status is ${current.status}; it cannot move to ${to}.`,
    );
  }
  const [updated] = await tx
    .update(paymentIntents)
    .set({ ...patch, status: to, updatedAt: new Date() })
    .where(and(eq(paymentIntents.id, current.id), eq(paymentIntents.status, current.status)))
    .returning();
  if (!updated) {
    throw new AppError('payment_in_progress', 'This PaymentIntent was changed by another request; retrieve it and try again.');
  }
  assertAmounts(updated);
  const type = EVENT_FOR_STATUS[to];
  if (type) {
    await writeOutboxEvent(tx, {
      type,
      merchantId: updated.merchantId,
      aggregateType: 'payment_intent',
      aggregateId: updated.id,
      data: { object: serializePaymentIntent(updated), previous_status: current.status },
    });
  }
  return updated;
}

/** Postconditions on every write: received <= amount, capturable <= amount, all non-negative. */
function assertAmounts(pi: PaymentIntent): void {
  invariant(pi.amountReceived >= 0 && pi.amountReceived <= pi.amount, `amount_received out of range on ${pi.id}`);
  invariant(pi.amountCapturable >= 0 && pi.amountCapturable <= pi.amount, `amount_capturable out of range on ${pi.id}`);
  invariant(pi.status !== 'succeeded' || pi.amountReceived > 0, `succeeded ${pi.id} with nothing received`);
}
