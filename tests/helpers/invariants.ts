import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, paymentAttempts, paymentIntents } from '@/db/schema';

/**
 * Invariants every money test checks after it moves money:
 * - refunded <= captured <= authorized (here: amount_received <= amount, capturable <= amount)
 * - at most one attempt in flight per intent; a succeeded intent has exactly one succeeded attempt
 * - the outbox agrees with the final state (succeeded <=> one succeeded event)
 * - terminal states never regress (checked by the event history: nothing after succeeded/canceled)
 */
export async function assertPaymentInvariants(paymentIntentId: string): Promise<void> {
  const db = getDb();
  const [pi] = await db.select().from(paymentIntents).where(eq(paymentIntents.id, paymentIntentId));
  expect(pi, `payment intent ${paymentIntentId}`).toBeDefined();
  if (!pi) return;
  expect(pi.amountReceived).toBeGreaterThanOrEqual(0);
  expect(pi.amountReceived).toBeLessThanOrEqual(pi.amount);
  expect(pi.amountCapturable).toBeLessThanOrEqual(pi.amount);
  const attempts = await db.select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
  const inFlight = attempts.filter((a) => a.status === 'pending' || a.status === 'requires_action');
  expect(inFlight.length).toBeLessThanOrEqual(1);
  const succeeded = attempts.filter((a) => a.status === 'succeeded');
  const authorized = attempts.filter((a) => a.status === 'authorized');
  if (pi.status === 'succeeded') expect(succeeded).toHaveLength(1);
  else expect(succeeded).toHaveLength(0);
  if (pi.status === 'requires_capture') expect(authorized).toHaveLength(1);
  if (pi.status === 'succeeded') expect(pi.amountReceived).toBeGreaterThan(0);
  if (pi.status !== 'succeeded') expect(pi.amountReceived).toBe(0);
  const events = await db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id)).orderBy(outboxEvents.seq);
  const types = events.map((e) => e.type);
  expect(types[0]).toBe('payment_intent.created');
  expect(types.filter((t) => t === 'payment_intent.succeeded')).toHaveLength(pi.status === 'succeeded' ? 1 : 0);
  // No state change after a terminal one. A late PSP success given back afterwards is recorded on
  // the timeline (payment_intent.late_success_reversed), but it changes no state of the intent;
  // nor does a Paybill receipt given back because it could not pay it (paybill_payment_returned).
  // A late success booked by reconciliation (late_success_accepted) comes with its succeeded event.
  const notStates: string[] = ['payment_intent.late_success_reversed', 'payment_intent.paybill_payment_returned', 'payment_intent.late_success_accepted'];
  const states = types.filter((t) => !notStates.includes(t));
  const terminalAt = states.findIndex((t) => t === 'payment_intent.succeeded' || t === 'payment_intent.canceled');
  if (terminalAt >= 0) expect(terminalAt).toBe(states.length - 1);
}
