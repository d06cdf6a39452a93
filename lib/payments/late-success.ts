import { and, asc, eq, isNotNull, isNull, lt, or } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { paymentAttempts, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { formatMoney } from '@/lib/money';
import { getPaymentMethodAdapter, paymentMethodCapabilities } from '@/lib/psp/registry';
import { PspError, type PspPayment } from '@/lib/psp/types';
import { lockPaymentIntent } from './intents';
import { serializePaymentIntent } from './serialize';
import { transitionLockedAttempt } from './transition';

/**
 * A PSP success we will not keep: the card was authorized or captured for an attempt after its
 * intent was canceled, or after the attempt was given up. The customer must not pay for a payment
 * they were told was canceled, and the merchant was never credited (no succeeded event, so no
 * ledger posting), so the money goes back at the PSP: an authorization is voided, a capture is
 * refunded in full. Until the PSP confirms, the attempt stays reversal_pending and the sweep
 * (inngest/functions/reverse-late-successes) asks again; nothing is ever dropped.
 */

/** The PSP statuses under which it holds (or may still take) the customer's money. */
const HOLDS_OR_MAY_TAKE_MONEY: readonly PspPayment['status'][] = ['authorized', 'captured', 'requires_action', 'pending'];

/**
 * Whether a PSP answer for this attempt means money we must give back through its adapter. Only a
 * method that can cancel (void) at its PSP is reversed here; one that cannot (M-Pesa today) keeps
 * the PSP's answer and is left for reconciliation.
 */
export function pspMayHoldMoney(attempt: Pick<PaymentAttempt, 'psp'>, psp: Pick<PspPayment, 'status'>): boolean {
  return paymentMethodCapabilities(attempt.psp).cancel && HOLDS_OR_MAY_TAKE_MONEY.includes(psp.status);
}

/** The PSP idempotency key of an attempt's reversal: a retried void or refund is applied once. */
export const reversalKey = (attemptId: string) => `${attemptId}:reverse`;

/**
 * Marks an attempt's money as owed back, in the caller's transaction (intent row locked). Its
 * PSP reference is kept, since the reversal asks the PSP about exactly this payment.
 */
export async function markReversalOwed(
  tx: Tx,
  attempt: PaymentAttempt,
  pspReference: string,
  reason: string,
): Promise<PaymentAttempt> {
  const owed = await transitionLockedAttempt(tx, attempt, 'reversal_pending', { pspReference, reversalReason: reason, reversalLeaseUntil: null });
  console.warn(`[payments] ${attempt.id} (${attempt.paymentIntentId}): ${reason}`);
  return owed;
}

export type ReversalOutcome = 'reversed' | 'nothing_held' | 'retry_later' | 'not_owed';

type PspAnswer =
  | { kind: 'voided'; amount: number }
  | { kind: 'refunded'; amount: number; pending: boolean }
  | { kind: 'nothing_held' }
  | { kind: 'refund_failed'; reason: string };

/**
 * Gives an owed attempt's money back at the PSP and records it. Safe to run any number of times,
 * concurrently too: one reverser holds a lease on the attempt, the PSP is asked for the payment's
 * current state first, the void or refund carries the attempt's reversal key (the PSP applies it
 * once), and the result is recorded only while the attempt is still reversal_pending, under the
 * intent's row lock (one timeline event).
 */
export async function reverseOwedAttempt(attemptId: string): Promise<ReversalOutcome> {
  const attempt = await takeReversalLease(attemptId);
  if (!attempt) return 'not_owed';
  if (attempt === 'busy') return 'retry_later';
  let answer: PspAnswer;
  try {
    answer = await giveBackAtPsp(attempt, attempt.pspReference!);
  } catch (err) {
    await releaseReversalLease(attempt.id);
    if (!(err instanceof PspError)) throw err;
    console.warn(`[payments] reversal of ${attempt.id} must wait: ${err.kind} ${err.message}`);
    return 'retry_later';
  }
  if (answer.kind === 'refund_failed') {
    // The PSP refused to return it (e.g. a closed card): keep it owed and visible for an operator.
    console.error(`[payments] reversal of ${attempt.id} refused by the PSP: ${answer.reason}`);
    await getDb()
      .update(paymentAttempts)
      .set({
        reversalReason: `The card network refused the refund (${answer.reason}); an operator must return the money.`,
        reversalLeaseUntil: null,
      })
      .where(and(eq(paymentAttempts.id, attempt.id), eq(paymentAttempts.status, 'reversal_pending')));
    return 'retry_later';
  }
  return getDb().transaction((tx) => recordReversal(tx, attempt, answer));
}

/** Longer than a PSP call with its retries: a reverser that died frees the attempt after this. */
const REVERSAL_LEASE_MS = 60_000;

/**
 * One reverser at a time per attempt, so two of them (the request that noticed it and a sweep)
 * cannot both ask the PSP and disagree about who gave the money back. 'busy': another holds it.
 */
async function takeReversalLease(attemptId: string): Promise<PaymentAttempt | 'busy' | null> {
  const now = new Date();
  const [leased] = await getDb()
    .update(paymentAttempts)
    .set({ reversalLeaseUntil: new Date(now.getTime() + REVERSAL_LEASE_MS) })
    .where(
      and(
        eq(paymentAttempts.id, attemptId),
        eq(paymentAttempts.status, 'reversal_pending'),
        isNotNull(paymentAttempts.pspReference),
        or(isNull(paymentAttempts.reversalLeaseUntil), lt(paymentAttempts.reversalLeaseUntil, now)),
      ),
    )
    .returning();
  if (leased) return leased;
  const [owed] = await getDb()
    .select({ id: paymentAttempts.id })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.status, 'reversal_pending')));
  return owed ? 'busy' : null;
}

async function releaseReversalLease(attemptId: string): Promise<void> {
  await getDb().update(paymentAttempts).set({ reversalLeaseUntil: null }).where(eq(paymentAttempts.id, attemptId));
}

async function giveBackAtPsp(attempt: PaymentAttempt, pspReference: string): Promise<PspAnswer> {
  const psp = getPaymentMethodAdapter(attempt.psp);
  const now = await psp.resolve(attemptAtPsp(attempt, pspReference));
  if (!now) return { kind: 'nothing_held' };
  switch (now.status) {
    case 'authorized': {
      const voided = await psp.cancel(pspReference, reversalKey(attempt.id));
      if (voided.status !== 'canceled') throw new PspError('bad_response', `void of ${pspReference} answered ${voided.status}`, true);
      return { kind: 'voided', amount: now.amount };
    }
    case 'pending':
    case 'requires_action': {
      // The customer has not finished 3-D Secure: nothing is held yet; make sure nothing will be.
      const canceled = await psp.cancel(pspReference, reversalKey(attempt.id));
      if (canceled.status !== 'canceled') throw new PspError('bad_response', `cancel of ${pspReference} answered ${canceled.status}`, true);
      return { kind: 'nothing_held' };
    }
    case 'captured': {
      const refund = await psp.refund(pspReference, now.amountCaptured, reversalKey(attempt.id));
      if (refund.status === 'failed') return { kind: 'refund_failed', reason: refund.failureReason ?? 'refund failed' };
      return { kind: 'refunded', amount: refund.amount, pending: refund.status === 'pending' };
    }
    case 'declined':
    case 'canceled':
      return { kind: 'nothing_held' };
  }
}

/** The PSP is asked about exactly the payment it reported (a read; never a new authorize). */
export function attemptAtPsp(attempt: PaymentAttempt, pspReference: string) {
  return {
    id: attempt.id,
    merchantId: attempt.merchantId,
    amount: attempt.amount,
    currency: attempt.currency,
    pspIdempotencyKey: attempt.pspIdempotencyKey,
    pspReference,
    paymentMethodToken: null,
    capture: false,
  };
}

async function recordReversal(tx: Tx, attempt0: PaymentAttempt, answer: Exclude<PspAnswer, { kind: 'refund_failed' }>): Promise<ReversalOutcome> {
  const pi = await lockPaymentIntent(tx, attempt0.merchantId, attempt0.paymentIntentId);
  const [attempt] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt0.id));
  if (!attempt || attempt.status !== 'reversal_pending') return 'not_owed'; // a concurrent sweep recorded it
  if (answer.kind === 'nothing_held') {
    // The PSP holds nothing (a stale hint, or a payment that never completed): an ordinary failure.
    await transitionLockedAttempt(tx, attempt, 'failed', { reversalReason: null, reversalLeaseUntil: null });
    return 'nothing_held';
  }
  const amount = formatMoney(answer.amount, attempt.currency);
  const how =
    answer.kind === 'voided'
      ? `the authorization of ${amount} was voided`
      : `the ${amount} captured was refunded${answer.pending ? ' (the PSP is processing the refund)' : ''}`;
  const reason = `Succeeded at ${attempt.psp} after the payment was ${describeIntent(pi, attempt)}; ${how} automatically.`;
  await transitionLockedAttempt(tx, attempt, 'reversed', { reversalReason: reason, reversedAt: new Date(), reversalLeaseUntil: null });
  await writeOutboxEvent(tx, {
    type: 'payment_intent.late_success_reversed',
    merchantId: pi.merchantId,
    aggregateType: 'payment_intent',
    aggregateId: pi.id,
    data: {
      object: serializePaymentIntent(pi),
      payment_attempt: attempt.id,
      psp: attempt.psp,
      psp_reference: attempt.pspReference,
      reversal: answer.kind,
      amount: answer.amount,
      currency: attempt.currency,
      reason,
      // why it was owed back (e.g. reconciliation's report line, and why it was not booked instead)
      owed_because: attempt.reversalReason,
    },
  });
  return 'reversed';
}

function describeIntent(pi: PaymentIntent, attempt: PaymentAttempt): string {
  if (pi.status === 'canceled') return 'canceled';
  if (pi.latestAttemptId !== attempt.id) return 'paid another way';
  return 'given up';
}

/** Attempts whose money is still owed back, oldest first. */
export async function findOwedAttempts(limit = 100): Promise<string[]> {
  const rows = await getDb()
    .select({ id: paymentAttempts.id })
    .from(paymentAttempts)
    .where(eq(paymentAttempts.status, 'reversal_pending'))
    .orderBy(asc(paymentAttempts.updatedAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Sweeps every owed attempt once; returns how each went. */
export async function reverseOwedAttempts(limit = 100): Promise<Record<string, ReversalOutcome>> {
  const outcomes: Record<string, ReversalOutcome> = {};
  for (const id of await findOwedAttempts(limit)) outcomes[id] = await reverseOwedAttempt(id);
  return outcomes;
}

/**
 * Right after a request marked an attempt owed: try the reversal at once, so the customer's money
 * is usually back within the request. A failure is left to the sweep, never thrown at the caller.
 */
export async function reverseSoon(attempt: Pick<PaymentAttempt, 'id' | 'status'>): Promise<void> {
  if (attempt.status !== 'reversal_pending') return;
  await reverseOwedAttempt(attempt.id).catch((err: unknown) => {
    console.error(`[payments] reversal of ${attempt.id} failed; the sweep retries it:`, err);
  });
}
