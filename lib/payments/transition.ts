import { and, eq } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { paymentAttempts, paymentIntents, type AttemptStatus, type PaymentAttempt, type PaymentIntent, type PaymentIntentStatus } from '@/db/schema';
import { AppError, invariant } from '@/lib/errors';
import { chargeIdOf } from '@/lib/api-objects/charge-id';
import { retrieveChargeJson } from '@/lib/api-objects/charge';
import { writeOutboxEvent, type EventType } from '@/lib/events/outbox';
import { serializePaymentIntent } from './serialize';
import { canTransition, canTransitionAttempt } from './state-machine';

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
    'amountCapturable' | 'amountReceived' | 'lastPaymentError' | 'latestAttemptId' | 'cancellationReason' | 'canceledAt' | 'customerEmail' | 'paymentMethodId'
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
  await writeChargeEvent(tx, current, updated);
  return updated;
}

/**
 * Stripe announces the charge beside its intent: charge.succeeded when the attempt took the money
 * (authorized or captured at once), charge.captured when a held authorization is captured,
 * charge.failed when the attempt failed. Written in the same transaction as the intent's event,
 * with the charge as GET /v1/charges/:id shows it after this change (the attempt moved first).
 */
async function writeChargeEvent(tx: Tx, before: PaymentIntent, after: PaymentIntent): Promise<void> {
  if (!after.latestAttemptId) return;
  let type: EventType | null = null;
  if (after.status === 'succeeded' && before.status === 'requires_capture') type = 'charge.captured';
  else if (after.status === 'succeeded' || after.status === 'requires_capture') type = 'charge.succeeded';
  else if (after.status === 'requires_payment_method') {
    const [attempt] = await tx.select({ status: paymentAttempts.status }).from(paymentAttempts).where(eq(paymentAttempts.id, after.latestAttemptId));
    if (attempt?.status === 'failed') type = 'charge.failed';
  }
  if (!type) return;
  const chargeId = chargeIdOf(after.latestAttemptId);
  await writeOutboxEvent(tx, {
    type,
    merchantId: after.merchantId,
    aggregateType: 'charge',
    aggregateId: chargeId,
    data: { object: await retrieveChargeJson(after.merchantId, chargeId, tx) },
  });
}

/** Postconditions on every write: received <= amount, capturable <= amount, all non-negative. */
function assertAmounts(pi: PaymentIntent): void {
  invariant(pi.amountReceived >= 0 && pi.amountReceived <= pi.amount, `amount_received out of range on ${pi.id}`);
  invariant(pi.amountCapturable >= 0 && pi.amountCapturable <= pi.amount, `amount_capturable out of range on ${pi.id}`);
  invariant(pi.status !== 'succeeded' || pi.amountReceived > 0, `succeeded ${pi.id} with nothing received`);
}

export type AttemptPatch = Partial<Omit<PaymentAttempt, 'id' | 'status' | 'paymentIntentId' | 'merchantId'>>;

/**
 * The only way a payment attempt changes state. Checks the attempt table (ATTEMPT_TRANSITIONS) and
 * moves the row only if it is still in the state the caller saw; returns null when something else
 * moved it first (the caller decides whether that is a race to report or a no-op). A refused
 * transition is a bug in the caller, never a customer error.
 */
export async function transitionAttempt(
  tx: Tx,
  current: Pick<PaymentAttempt, 'id' | 'status'>,
  to: AttemptStatus,
  patch: AttemptPatch = {},
): Promise<PaymentAttempt | null> {
  invariant(canTransitionAttempt(current.status, to), `payment attempt ${current.id} cannot move from ${current.status} to ${to}`);
  const [updated] = await tx
    .update(paymentAttempts)
    .set({ updatedAt: new Date(), ...patch, status: to })
    .where(and(eq(paymentAttempts.id, current.id), eq(paymentAttempts.status, current.status)))
    .returning();
  return updated ?? null;
}

/** transitionAttempt for a caller that holds the intent's row lock: the attempt cannot have moved. */
export async function transitionLockedAttempt(
  tx: Tx,
  current: Pick<PaymentAttempt, 'id' | 'status'>,
  to: AttemptStatus,
  patch: AttemptPatch = {},
): Promise<PaymentAttempt> {
  const updated = await transitionAttempt(tx, current, to, patch);
  invariant(updated, `payment attempt ${current.id} left ${current.status} under its intent's row lock`);
  return updated;
}
