import { and, eq, inArray } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { checkoutSessions, paymentAttempts, paymentIntents, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { paymentMethodCapabilities } from '@/lib/psp/registry';
import type { PspPayment } from '@/lib/psp/types';
import { declineMessage } from './decline-messages';
import { markReversalOwed, pspMayHoldMoney, reverseSoon } from './late-success';
import { serializeCheckoutSession } from './serialize';
import { canTransition, CONFIRMABLE_STATUSES, isOpenAttemptStatus, OPEN_ATTEMPT_STATUSES } from './state-machine';
import { transitionLockedAttempt, transitionPaymentIntent } from './transition';

export interface AttemptOutcome {
  paymentIntent: PaymentIntent;
  attempt: PaymentAttempt;
}

/** An attempt still waiting for its outcome: sent to the PSP, or waiting for the customer. */
export function isOpenAttempt(attempt: Pick<PaymentAttempt, 'status'>): boolean {
  return isOpenAttemptStatus(attempt.status);
}

/**
 * At most one attempt is in flight per intent (a unique index backs this up): a second confirm,
 * by any payment method, is refused while one is open. Call with the intent's row locked.
 */
export async function assertNoAttemptInFlight(tx: Tx, paymentIntentId: string): Promise<void> {
  const inFlight = await tx
    .select({ id: paymentAttempts.id })
    .from(paymentAttempts)
    .where(
      and(eq(paymentAttempts.paymentIntentId, paymentIntentId), inArray(paymentAttempts.status, [...OPEN_ATTEMPT_STATUSES])),
    );
  if (inFlight.length > 0) {
    throw new AppError('payment_in_progress', 'A payment attempt for this PaymentIntent is already in progress.');
  }
}

/**
 * Applies what the PSP says about an attempt. Idempotent: an attempt that already left
 * pending/requires_action is not touched again, so a duplicate callback, a retried request or
 * a poll that races the customer's redirect all take effect once.
 *
 * Never drops money: a success for an attempt we no longer want (its intent was canceled or paid
 * by another attempt, or the attempt was given up) marks the attempt reversal_pending in the same
 * transaction, and the money is given back at the PSP right after (late-success.ts).
 */
export async function applyPspPayment(attemptId: string, psp: PspPayment, appUrl: string): Promise<AttemptOutcome> {
  const outcome = await getDb().transaction(async (tx) => {
    const pi = await lockIntentOfAttempt(tx, attemptId);
    const attempt = await findAttempt(tx, attemptId); // read under the PI lock
    if (!isOpenAttempt(attempt)) return lateResultForClosedAttempt(tx, pi, attempt, psp);
    if (attempt.status === 'requires_action' && psp.status === 'requires_action') return { paymentIntent: pi, attempt };
    if (intentGaveUpOn(pi, attempt) && pspMayHoldMoney(attempt, psp)) {
      const owed = await markReversalOwed(tx, attempt, psp.pspReference, `The card network answered ${psp.status} after the payment was ${pi.status}.`);
      return { paymentIntent: pi, attempt: owed };
    }
    return applyToOpenAttempt(tx, pi, attempt, psp, appUrl);
  });
  await reverseSoon(outcome.attempt);
  return outcome;
}

/** The intent no longer wants this attempt's money: it was canceled, or paid by another attempt. */
function intentGaveUpOn(pi: PaymentIntent, attempt: PaymentAttempt): boolean {
  return pi.status === 'canceled' || pi.status === 'succeeded' || pi.latestAttemptId !== attempt.id;
}

/**
 * A result for an attempt that already has an outcome is normally stale news. The exception is a
 * failed attempt (given up at a deadline while the PSP could not be told) that the PSP reports as
 * holding money: that money is owed back. A canceled attempt was canceled at the PSP first, so a
 * success for it can only be an old message; claimed and owed attempts are left to their flows.
 */
async function lateResultForClosedAttempt(tx: Tx, pi: PaymentIntent, attempt: PaymentAttempt, psp: PspPayment): Promise<AttemptOutcome> {
  if (attempt.status === 'failed' && pspMayHoldMoney(attempt, psp)) {
    const owed = await markReversalOwed(tx, attempt, psp.pspReference, `The card network answered ${psp.status} after this attempt had failed.`);
    return { paymentIntent: pi, attempt: owed };
  }
  return { paymentIntent: pi, attempt };
}

async function applyToOpenAttempt(
  tx: Tx,
  pi: PaymentIntent,
  attempt: PaymentAttempt,
  psp: PspPayment,
  appUrl: string,
): Promise<AttemptOutcome> {
  const base = { ...(psp.pspReference ? { pspReference: psp.pspReference } : {}), ...(psp.card ? { card: { ...psp.card } } : {}) };
  switch (psp.status) {
    case 'pending': {
      // Accepted, outcome later (an M-Pesa prompt): keep the PSP's reference, and the intent waits
      // in processing, which starts the resolve-pending-payment workflow (callback, then queries).
      const updated = psp.pspReference && psp.pspReference !== attempt.pspReference
        ? await updateOpenAttempt(tx, attempt, base)
        : attempt;
      const next = CONFIRMABLE_STATUSES.includes(pi.status) ? await transitionPaymentIntent(tx, pi, 'processing') : pi;
      return { paymentIntent: next, attempt: updated };
    }
    case 'captured': {
      const updated = await transitionLockedAttempt(tx, attempt, 'succeeded', base);
      const next = await moveIntent(tx, pi, 'succeeded', {
        amountReceived: psp.amountCaptured,
        amountCapturable: 0,
        lastPaymentError: null,
      });
      await completeCheckoutSession(tx, next, appUrl);
      return { paymentIntent: next, attempt: updated };
    }
    case 'authorized': {
      const updated = await transitionLockedAttempt(tx, attempt, 'authorized', base);
      const next = await moveIntent(tx, pi, 'requires_capture', { amountCapturable: psp.amount, lastPaymentError: null });
      await completeCheckoutSession(tx, next, appUrl);
      return { paymentIntent: next, attempt: updated };
    }
    case 'requires_action': {
      const nextAction = {
        type: 'redirect_to_url' as const,
        redirect_to_url: { url: psp.redirectUrl ?? '', return_url: attempt.nextAction?.redirect_to_url.return_url ?? '' },
      };
      const updated = await transitionLockedAttempt(tx, attempt, 'requires_action', { ...base, nextAction });
      const next = await moveIntent(tx, pi, 'requires_action', {});
      return { paymentIntent: next, attempt: updated };
    }
    case 'declined':
    case 'canceled': {
      if (psp.failure) return failLocked(tx, pi, attempt, psp.failure.code, psp.failure.message, base);
      const declineCode = psp.status === 'declined' ? (psp.declineCode ?? 'generic_decline') : 'authentication_failed';
      const message = declineMessage(declineCode);
      const updated = await transitionLockedAttempt(tx, attempt, 'failed', {
        ...base,
        // Stripe's codes: authentication errors are their own code, every other decline is card_declined
        failureCode: declineCode === 'authentication_failed' || declineCode === 'authentication_required' ? declineCode : 'card_declined',
        declineCode,
        failureMessage: message,
      });
      const next = await moveIntent(tx, pi, 'requires_payment_method', {
        lastPaymentError: {
          type: 'card_error',
          code: updated.failureCode ?? 'card_declined',
          decline_code: declineCode,
          message,
          payment_attempt: attempt.id,
        },
      });
      return { paymentIntent: next, attempt: updated };
    }
  }
}

/**
 * Moves the intent unless it already left the states a live attempt can move it from (e.g. the
 * merchant canceled while the customer was in 3-D Secure). Then the attempt keeps the PSP's
 * answer and the mismatch is logged for reconciliation instead of regressing a terminal state.
 */
async function moveIntent(
  tx: Tx,
  pi: PaymentIntent,
  to: PaymentIntent['status'],
  patch: Parameters<typeof transitionPaymentIntent>[3],
) {
  if (pi.status === to && to === 'requires_action') return pi;
  if (!canTransition(pi.status, to)) {
    console.error(`[reconcile] attempt result ${to} for ${pi.id} arrived in state ${pi.status}; left for reconciliation`);
    return pi;
  }
  return transitionPaymentIntent(tx, pi, to, patch);
}

/**
 * Locks the intent an attempt belongs to (SELECT ... FOR UPDATE), found through the attempt in the
 * same statement. The attempt itself is read after this, under the lock, so what it says is final
 * until the transaction ends.
 */
async function lockIntentOfAttempt(tx: Tx, attemptId: string): Promise<PaymentIntent> {
  const [pi] = await tx
    .select()
    .from(paymentIntents)
    .where(eq(paymentIntents.id, tx.select({ id: paymentAttempts.paymentIntentId }).from(paymentAttempts).where(eq(paymentAttempts.id, attemptId))))
    .for('update');
  if (!pi) throw new Error(`payment attempt ${attemptId} not found`);
  return pi;
}

async function findAttempt(tx: Tx, id: string): Promise<PaymentAttempt> {
  const [a] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, id));
  if (!a) throw new Error(`payment attempt ${id} not found`);
  return a;
}

/** Records facts on an open attempt without moving it (a PSP reference that arrived later). */
async function updateOpenAttempt(tx: Tx, attempt: PaymentAttempt, patch: Partial<PaymentAttempt>): Promise<PaymentAttempt> {
  const [a] = await tx
    .update(paymentAttempts)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(paymentAttempts.id, attempt.id), inArray(paymentAttempts.status, [...OPEN_ATTEMPT_STATUSES])))
    .returning();
  if (!a) throw new Error(`payment attempt ${attempt.id} is no longer open`);
  return a;
}

/** Fails an open attempt (intent row locked) with a reason in the method's terms; the intent waits for a new payment method. */
async function failLocked(
  tx: Tx,
  pi: PaymentIntent,
  attempt: PaymentAttempt,
  code: string,
  message: string,
  patch: Partial<PaymentAttempt> = {},
): Promise<AttemptOutcome> {
  const updated = await transitionLockedAttempt(tx, attempt, 'failed', { ...patch, failureCode: code, failureMessage: message });
  const next = await moveIntent(tx, pi, 'requires_payment_method', {
    lastPaymentError: { type: 'api_error', code, message, payment_attempt: attempt.id },
  });
  return { paymentIntent: next, attempt: updated };
}

/** A paid (or authorized) intent completes its checkout session, once. */
export async function completeCheckoutSession(tx: Tx, pi: PaymentIntent, appUrl: string): Promise<void> {
  if (!pi.checkoutSessionId) return;
  const [cs] = await tx
    .update(checkoutSessions)
    .set({ status: 'complete', completedAt: new Date() })
    .where(and(eq(checkoutSessions.id, pi.checkoutSessionId), eq(checkoutSessions.status, 'open')))
    .returning();
  if (!cs) return;
  await writeOutboxEvent(tx, {
    type: 'checkout.session.completed',
    merchantId: cs.merchantId,
    aggregateType: 'checkout_session',
    aggregateId: cs.id,
    data: { object: serializeCheckoutSession(cs, pi, appUrl) },
  });
}

/**
 * Fails an attempt that never reached an outcome (abandoned 3-D Secure, a PSP that never
 * answered) and returns its intent to requires_payment_method with the reason. A no-op for an
 * attempt that already has an outcome, so a late duplicate call changes nothing.
 *
 * `pspMayStillComplete`: the PSP could not be told to stop (it was unreachable), so it may still
 * complete the payment. The attempt is then failed for the intent but kept reversal_pending, and
 * the reversal sweep asks the PSP until it confirms that nothing is held (or gives it back).
 */
export async function failOpenAttempt(
  attemptId: string,
  code: string,
  message: string,
  options: { pspMayStillComplete?: boolean } = {},
): Promise<AttemptOutcome> {
  const outcome = await getDb().transaction(async (tx) => {
    const pi = await lockIntentOfAttempt(tx, attemptId);
    const attempt = await findAttempt(tx, attemptId);
    if (!isOpenAttempt(attempt)) return { paymentIntent: pi, attempt };
    const failed = await failLocked(tx, pi, attempt, code, message);
    // Only a PSP that can be told to stop (or give back) is asked again; others are reconciled.
    if (options.pspMayStillComplete && attempt.pspReference && paymentMethodCapabilities(attempt.psp).cancel) {
      const owed = await markReversalOwed(
        tx,
        failed.attempt,
        attempt.pspReference,
        'Given up while the card network could not be reached; it is asked again until it confirms nothing is held.',
      );
      return { paymentIntent: failed.paymentIntent, attempt: owed };
    }
    return failed;
  });
  await reverseSoon(outcome.attempt);
  return outcome;
}
