import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Tx } from '@/db/client';
import { checkoutSessions, paymentAttempts, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { expandParam } from '@/lib/api-objects/expand-param';
import { env } from '@/lib/env';
import { AppError, invariant } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { PspError } from '@/lib/psp/types';
import { resolveAttempt } from './confirm';
import { getAttempt, getPaymentIntent, lockPaymentIntent } from './intents';
import { serializeCheckoutSession } from './serialize';
import { CANCELABLE_STATUSES, CLAIMED_ATTEMPT_STATUSES } from './state-machine';
import { transitionAttempt, transitionLockedAttempt, transitionPaymentIntent } from './transition';

export const cancelPaymentIntentBody = z
  .object({
    cancellation_reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']).optional(),
    expand: expandParam,
  })
  .strict();

export const capturePaymentIntentBody = z
  .object({ amount_to_capture: z.number().optional(), expand: expandParam })
  .strict();

/** How long a cancel or capture may hold its claim on an attempt before another request may take over (a crashed request). */
const CLAIM_TTL_MS = 2 * 60_000;

type ClaimedStatus = (typeof CLAIMED_ATTEMPT_STATUSES)[number];

function pspFailure(err: unknown): never {
  if (err instanceof PspError) throw new AppError('psp_unavailable', 'The card network could not be reached. Nothing was changed; try again.', { cause: err });
  throw err;
}

function unexpectedState(message: string, conflict = false): AppError {
  return new AppError('payment_intent_unexpected_state', message, { conflict });
}

/**
 * Refuses while another request owns the intent's attempt: a confirm whose attempt is at the PSP
 * (pending), or a cancel or capture talking to the PSP (a claim younger than CLAIM_TTL_MS).
 * Call with the intent's row locked, so no confirm can create an attempt in between.
 */
async function refuseWhileInFlight(tx: Tx, paymentIntentId: string, action: 'cancel' | 'capture'): Promise<void> {
  const busy = await tx
    .select({ id: paymentAttempts.id, status: paymentAttempts.status, updatedAt: paymentAttempts.updatedAt })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.paymentIntentId, paymentIntentId), inArray(paymentAttempts.status, ['pending', ...CLAIMED_ATTEMPT_STATUSES])));
  for (const a of busy) {
    if (a.status === 'pending') {
      throw unexpectedState(
        `You cannot ${action} this PaymentIntent while a payment attempt is in progress at the card network (${a.id}). Retrieve it in a moment and try again.`,
        true,
      );
    }
    if (Date.now() - a.updatedAt.getTime() < CLAIM_TTL_MS) {
      const other = a.status === 'canceling' ? 'a cancel' : 'a capture';
      throw unexpectedState(`You cannot ${action} this PaymentIntent while ${other} of it is in progress. Retrieve it in a moment.`, true);
    }
  }
}

/**
 * The attempt whose money lives at the PSP right now: a held authorization or a pending 3-D Secure,
 * or one whose claim was left by a request that died (refuseWhileInFlight let only an old claim
 * through). A cancel takes over any such claim: asking the PSP to cancel is safe whatever the
 * dead request did (a completed capture makes the PSP refuse, and the cancel reports it).
 */
function liveAttempt(attempt: PaymentAttempt | null, takeOver: readonly PaymentAttempt['status'][]): PaymentAttempt | null {
  if (!attempt?.pspReference) return null;
  if (attempt.status === 'authorized' || attempt.status === 'requires_action') return attempt;
  if (takeOver.includes(attempt.status)) return attempt;
  return null;
}

/** Claims the attempt for this request; `from` is what it goes back to if the PSP says no. */
async function claimAttempt(tx: Tx, attempt: PaymentAttempt, as: ClaimedStatus): Promise<void> {
  await transitionLockedAttempt(tx, attempt, as);
}

/** Gives a claimed attempt back (the PSP refused or could not be reached), unless something else recorded an outcome. */
async function releaseClaim(merchantId: string, attempt: PaymentAttempt, as: ClaimedStatus, back: PaymentAttempt['status']): Promise<void> {
  await getDb().transaction(async (tx) => {
    await lockPaymentIntent(tx, merchantId, attempt.paymentIntentId);
    // null: something else recorded an outcome meanwhile, which stands
    await transitionAttempt(tx, { id: attempt.id, status: as }, back);
  });
}

/**
 * Cancels a PaymentIntent. A held authorization (requires_capture) or a pending 3-D Secure
 * payment is canceled at the PSP first, so the customer's funds are released; only then does
 * the intent move to canceled.
 *
 * Races: everything is decided under the intent's row lock. While a confirm's attempt is at the
 * PSP the cancel is refused (409), since that attempt may be charging the card right now; an
 * intent without a live attempt is canceled in that same transaction, so a confirm that comes
 * after sees canceled and stops before it reaches the PSP. With a live attempt, the cancel claims
 * it (status canceling) before calling the PSP, so no capture, confirm or callback can act on it
 * meanwhile, and records the PSP's answer under the lock again. The lock is not held across the
 * PSP call: the sandbox PSP shares this database pool. Re-running is safe: the PSP cancel is keyed
 * by the attempt.
 */
export async function cancelPaymentIntent(merchantId: string, id: string, reason: string | undefined): Promise<PaymentIntent> {
  const db = getDb();
  const first = await db.transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, merchantId, id);
    assertCancelable(pi);
    await refuseWhileInFlight(tx, pi.id, 'cancel');
    const live = liveAttempt(await getAttempt(tx, pi.latestAttemptId), ['canceling', 'capturing']);
    if (!live) return { kind: 'canceled' as const, pi: await cancelLocked(tx, pi, null, reason) };
    await claimAttempt(tx, live, 'canceling');
    return { kind: 'claimed' as const, attempt: live };
  });
  if (first.kind === 'canceled') return first.pi;

  const attempt = first.attempt;
  const backTo = attempt.status === 'authorized' || attempt.status === 'requires_action' ? attempt.status : await intentStatusToAttemptStatus(merchantId, id);
  try {
    // the attempt's own PSP: the authorization lives there
    await getPaymentMethodAdapter(attempt.psp).cancel(attempt.pspReference!, `${attempt.id}:cancel`);
  } catch (err) {
    await releaseClaim(merchantId, attempt, 'canceling', backTo);
    if (err instanceof PspError && err.kind === 'rejected') {
      // The PSP would not cancel: it completed the payment first (3-D Secure finished). Apply
      // what it says now, so the payment shows as paid, and tell the caller.
      if (backTo === 'requires_action') await resolveAttempt(attempt.id).catch(() => undefined);
      throw unexpectedState('This payment was completed at the card network before it could be canceled. Retrieve the PaymentIntent.', true);
    }
    pspFailure(err);
  }
  return db.transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, merchantId, id);
    return cancelLocked(tx, pi, attempt.id, reason);
  });
}

/** A claim taken over from a request that died: the intent's state says what the attempt was. */
async function intentStatusToAttemptStatus(merchantId: string, id: string): Promise<PaymentAttempt['status']> {
  const pi = await getPaymentIntent(getDb(), merchantId, id);
  return pi.status === 'requires_capture' ? 'authorized' : 'requires_action';
}

function assertCancelable(pi: PaymentIntent): void {
  if (!CANCELABLE_STATUSES.includes(pi.status)) {
    throw unexpectedState(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`);
  }
}

/** Moves the (locked) intent to canceled, its released attempt with it, and expires its checkout session. */
async function cancelLocked(tx: Tx, locked: PaymentIntent, releasedAttemptId: string | null, reason: string | undefined): Promise<PaymentIntent> {
  assertCancelable(locked);
  if (releasedAttemptId) {
    const released = await transitionAttempt(tx, { id: releasedAttemptId, status: 'canceling' }, 'canceled');
    invariant(released, `attempt ${releasedAttemptId} lost its cancel claim while the PSP canceled it`);
  }
  const canceled = await transitionPaymentIntent(tx, locked, 'canceled', {
    amountCapturable: 0,
    cancellationReason: reason ?? 'requested_by_customer',
    canceledAt: new Date(),
  });
  if (canceled.checkoutSessionId) {
    const [cs] = await tx
      .update(checkoutSessions)
      .set({ status: 'expired' })
      .where(and(eq(checkoutSessions.id, canceled.checkoutSessionId), eq(checkoutSessions.status, 'open')))
      .returning();
    if (cs) {
      await writeOutboxEvent(tx, {
        type: 'checkout.session.expired',
        merchantId: canceled.merchantId,
        aggregateType: 'checkout_session',
        aggregateId: cs.id,
        data: { object: serializeCheckoutSession(cs, canceled, env().APP_URL) },
      });
    }
  }
  return canceled;
}

/**
 * Captures a held authorization, fully or partly (the rest is released, as card networks do).
 * Like cancel, it claims the attempt (capturing) under the intent's row lock before calling the
 * PSP, so a concurrent cancel is refused with 409 instead of voiding what is being captured, and
 * records the capture under the lock again. The PSP capture is keyed by the attempt, so a retried
 * capture is applied once.
 */
export async function capturePaymentIntent(merchantId: string, id: string, amountToCapture: number | undefined): Promise<PaymentIntent> {
  const db = getDb();
  const { attempt, amount } = await db.transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, merchantId, id);
    if (pi.status !== 'requires_capture') {
      throw unexpectedState(`You cannot capture this PaymentIntent because it has a status of ${pi.status}.`);
    }
    const amount = amountToCapture ?? pi.amountCapturable;
    if (!Number.isInteger(amount) || amount < 1 || amount > pi.amountCapturable) {
      throw new AppError('parameter_invalid', `amount_to_capture must be a whole number from 1 to ${pi.amountCapturable}.`, { param: 'amount_to_capture' });
    }
    await refuseWhileInFlight(tx, pi.id, 'capture');
    const latest = await getAttempt(tx, pi.latestAttemptId);
    if (latest?.status === 'canceling') {
      // a cancel that died after asking the PSP: the authorization may be gone; only a cancel can finish it
      throw unexpectedState('A cancel of this PaymentIntent was started and did not finish. Cancel it again to finish.', true);
    }
    const live = liveAttempt(latest, ['capturing']);
    if (!live || live.status === 'requires_action') throw new Error(`intent ${pi.id} in requires_capture without an authorized attempt`);
    await claimAttempt(tx, live, 'capturing');
    return { attempt: live, amount };
  });
  let captured;
  try {
    captured = await getPaymentMethodAdapter(attempt.psp).capture(attempt.pspReference!, amount, `${attempt.id}:capture`);
  } catch (err) {
    await releaseClaim(merchantId, attempt, 'capturing', 'authorized');
    if (err instanceof PspError && err.kind === 'rejected') {
      throw unexpectedState(`The card network refused to capture this payment: ${err.message}`, true);
    }
    pspFailure(err);
  }
  return db.transaction(async (tx) => {
    const locked = await lockPaymentIntent(tx, merchantId, id);
    const owned = await transitionAttempt(tx, { id: attempt.id, status: 'capturing' }, 'succeeded');
    invariant(owned, `attempt ${attempt.id} lost its capture claim while the PSP captured it`);
    return transitionPaymentIntent(tx, locked, 'succeeded', { amountReceived: captured.amountCaptured, amountCapturable: 0 });
  });
}
