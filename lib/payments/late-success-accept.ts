import { and, eq, inArray, ne } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { checkoutSessions, paymentAttempts, refunds, type AttemptStatus, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { invariant } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { acceptsLateSuccesses } from '@/lib/merchants/settings';
import { formatMoney } from '@/lib/money';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { PspError, type PspPayment } from '@/lib/psp/types';
import { completeCheckoutSession } from './apply-psp-result';
import { attemptAtPsp } from './late-success';
import { serializePaymentIntent } from './serialize';
import { CONFIRMABLE_STATUSES } from './state-machine';
import { transitionLockedAttempt, transitionPaymentIntent } from './transition';

/**
 * The merchant policy "accept late successes": a settlement report shows the PSP charged an
 * attempt we had failed (its answer was lost, or it completed after we gave up). By default the
 * money goes back (late-success.ts); with the policy on and the order still open, the charge is
 * booked instead: the attempt and its intent succeed through the state machine, the capture is
 * posted by the ledger's payment_intent.succeeded consumer and the merchant gets that webhook.
 *
 * Never both, exactly once: the decision is taken under the intent's row lock on an attempt that
 * is still `failed`. Booking moves it to succeeded, giving back moves it to reversal_pending, and
 * each of those moves only from failed (ATTEMPT_TRANSITIONS), so whichever commits first (this
 * run, a concurrent run, the card callback's lateResultForClosedAttempt) excludes the other.
 */

/** The report line that shows the charge: the evidence recorded on the payment's timeline. */
export interface LateChargeEvidence {
  psp: string;
  runId: string;
  lineId: string;
  pspReference: string | null;
  grossMinor: number;
  currency: string;
  bookedAt: Date;
}

/** Attempts whose presence means the intent has (or may still get) its money another way. */
const OTHER_ATTEMPT_BLOCKS: readonly AttemptStatus[] = ['pending', 'requires_action', 'authorized', 'capturing', 'canceling', 'succeeded'];

/**
 * The PSP's own answer about the attempt's charge, asked before booking it (the report line is
 * the PSP's statement, this read confirms it is still a capture: not voided or refunded since).
 * Null when the PSP cannot be asked now; the caller then gives the money back, which the reversal
 * sweep retries until the PSP answers (the safe default never waits on an outage).
 */
export async function askPspAboutLateCharge(attempt: PaymentAttempt, pspReference: string): Promise<PspPayment | null> {
  try {
    return await getPaymentMethodAdapter(attempt.psp).resolve(attemptAtPsp(attempt, pspReference));
  } catch (err) {
    if (!(err instanceof PspError)) throw err;
    console.warn(`[payments] ${attempt.id}: the PSP could not confirm its late charge (${err.kind} ${err.message})`);
    return null;
  }
}

/**
 * Why this late charge may not be booked (null: it may). "Still open", precisely: the merchant's
 * policy is on; the intent waits for a payment method (not canceled, not paid, no other attempt in
 * flight, authorized or succeeded, automatic capture); its checkout session, if any, is open and
 * not past its expiry; it has no refund; and the PSP confirms a capture of exactly the attempt's
 * amount in its currency, which the report line also shows. Call with the intent's row locked.
 */
export async function lateSuccessRefusal(
  tx: Tx,
  pi: PaymentIntent,
  attempt: PaymentAttempt,
  evidence: LateChargeEvidence,
  psp: PspPayment | null | undefined,
  now: Date = new Date(),
): Promise<string | null> {
  invariant(attempt.paymentIntentId === pi.id && attempt.status === 'failed', `${attempt.id} is not a failed attempt of ${pi.id}`);
  if (!(await acceptsLateSuccesses(tx, pi.merchantId))) return 'the merchant does not accept late successes';
  if (!CONFIRMABLE_STATUSES.includes(pi.status)) return `the payment is ${pi.status}`;
  if (pi.captureMethod !== 'automatic') return 'the payment captures manually';
  const others = await tx
    .select({ id: paymentAttempts.id })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.paymentIntentId, pi.id), ne(paymentAttempts.id, attempt.id), inArray(paymentAttempts.status, [...OTHER_ATTEMPT_BLOCKS])));
  if (others.length > 0) return 'another attempt of the payment is in progress or paid';
  if (pi.checkoutSessionId) {
    const [session] = await tx.select().from(checkoutSessions).where(eq(checkoutSessions.id, pi.checkoutSessionId));
    if (!session || session.status !== 'open' || session.expiresAt <= now) return 'its checkout session is no longer open';
  }
  const anyRefund = await tx.select({ id: refunds.id }).from(refunds).where(eq(refunds.paymentIntentId, pi.id)).limit(1);
  if (anyRefund.length > 0) return 'the payment has a refund';
  if (psp === undefined) return 'the PSP was not asked (the policy was off when the run began)';
  if (!psp) return 'the PSP did not confirm the charge';
  if (psp.status !== 'captured') return `the PSP reports it ${psp.status}`;
  const sameMoney = (amount: number, currency: string) => amount === attempt.amount && currency.toLowerCase() === attempt.currency.toLowerCase();
  if (!sameMoney(psp.amountCaptured, psp.currency) || !sameMoney(evidence.grossMinor, evidence.currency))
    return 'the PSP charged a different amount than the payment';
  return null;
}

/**
 * Books a late charge as the payment, in the caller's transaction (intent row locked, and
 * lateSuccessRefusal said yes): the attempt succeeds with the PSP's reference, the intent succeeds
 * (payment_intent.succeeded and charge.succeeded, so the ledger posts the capture once through its
 * consumer and the merchant's webhooks fire), its checkout session completes, and the timeline
 * records the report line (payment_intent.late_success_accepted). The failure the customer saw is
 * kept in that event, since the attempt no longer carries it.
 */
export async function acceptLateSuccess(
  tx: Tx,
  pi: PaymentIntent,
  attempt: PaymentAttempt,
  psp: PspPayment,
  evidence: LateChargeEvidence,
  appUrl: string,
): Promise<{ paymentIntent: PaymentIntent; attempt: PaymentAttempt }> {
  invariant(psp.status === 'captured' && psp.amountCaptured === attempt.amount, `late charge of ${attempt.id} is not a full capture`);
  const pspReference = psp.pspReference || attempt.pspReference || evidence.pspReference;
  invariant(pspReference, `late charge of ${attempt.id} has no PSP reference`);
  const succeeded = await transitionLockedAttempt(tx, attempt, 'succeeded', {
    pspReference,
    ...(psp.card ? { card: { ...psp.card } } : {}),
    failureCode: null,
    declineCode: null,
    failureMessage: null,
  });
  const paid = await transitionPaymentIntent(tx, pi, 'succeeded', {
    amountReceived: psp.amountCaptured,
    amountCapturable: 0,
    lastPaymentError: null,
    latestAttemptId: attempt.id,
  });
  await completeCheckoutSession(tx, paid, appUrl);
  const amount = formatMoney(psp.amountCaptured, attempt.currency);
  const reason = `Reconciliation: ${evidence.psp}'s settlement line ${evidence.lineId} shows ${amount} charged for this attempt, which had failed (${attempt.failureCode ?? 'failed'}); the merchant accepts late successes, so it is booked as the payment.`;
  await writeOutboxEvent(tx, {
    type: 'payment_intent.late_success_accepted',
    merchantId: pi.merchantId,
    aggregateType: 'payment_intent',
    aggregateId: pi.id,
    data: {
      object: serializePaymentIntent(paid, succeeded),
      payment_attempt: attempt.id,
      psp: attempt.psp,
      psp_reference: pspReference,
      amount: psp.amountCaptured,
      currency: attempt.currency,
      previous_failure: { code: attempt.failureCode, message: attempt.failureMessage },
      reason,
      evidence: {
        run: evidence.runId,
        line_id: evidence.lineId,
        psp_reference: evidence.pspReference,
        gross: evidence.grossMinor,
        currency: evidence.currency,
        booked_at: evidence.bookedAt.toISOString(),
      },
    },
  });
  console.warn(`[payments] ${attempt.id} (${pi.id}): ${reason}`);
  return { paymentIntent: paid, attempt: succeeded };
}
