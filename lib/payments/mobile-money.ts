import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { merchants, mpesaPayments, paymentAttempts, paymentIntents, type MpesaPayment, type PaymentAttempt } from '@/db/schema';
import { findSessionForCustomer, isExpired, successUrlFor } from '@/lib/checkout/sessions';
import { AppError } from '@/lib/errors';
import { withIdempotentCall } from '@/lib/idempotency';
import { env } from '@/lib/env';
import { newId } from '@/lib/ids';
import {
  accountReference,
  darajaCallbackUrl,
  DarajaError,
  getDaraja,
  interpretResultCode,
  MPESA_PSP,
  normalizeMsisdn,
  toWholeShillings,
  type StkQueryAnswer,
} from '@/lib/psp/daraja';
import { PspError } from '@/lib/psp/types';
import { blockMessage, checkRisk } from '@/lib/risk';
import {
  applyPspPayment,
  assertNoAttemptInFlight,
  failOpenAttempt,
  isOpenAttempt,
  type AttemptOutcome,
} from './apply-psp-result';
import { getPaymentIntent, lockPaymentIntent } from './intents';
import { CONFIRMABLE_STATUSES } from './state-machine';
import { transitionPaymentIntent } from './transition';

/**
 * The M-Pesa Express (STK push) payment path: risk check -> attempt -> STK push -> the intent
 * waits in processing until Daraja's STK query confirms the outcome (prompted by the callback,
 * or by the resolve-pending-payment workflow when the callback never comes).
 * A payment is marked paid ONLY on an STK query's answer: callbacks are unsigned, so they only
 * tell us when to ask.
 */

export interface StartMpesaInput {
  merchantId: string;
  paymentIntentId: string;
  /** As the customer typed it: 07.., 01.., +254.. or 254... */
  phone: string;
  customerIp?: string | null;
  customerEmail?: string | null;
}

export interface MpesaStarted extends AttemptOutcome {
  phone: string;
  checkoutRequestId: string | null;
}

function assertConfirmable(status: string): void {
  if (!(CONFIRMABLE_STATUSES as readonly string[]).includes(status)) {
    throw new AppError(
      'payment_intent_unexpected_state',
      `You cannot pay this PaymentIntent because it has a status of ${status}.`,
    );
  }
}

/**
 * Sends the STK push for an intent. Safe to call twice: at most one attempt can be in flight
 * per intent (unique index), so a second call fails with payment_in_progress instead of
 * prompting the customer again; and the push itself is retried only when Daraja never acted.
 */
export async function startMpesaPayment(input: StartMpesaInput): Promise<MpesaStarted> {
  const db = getDb();
  const pi = await getPaymentIntent(db, input.merchantId, input.paymentIntentId);
  assertConfirmable(pi.status);
  const amount = toWholeShillings(pi.amount, pi.currency);
  const phone = normalizeMsisdn(input.phone);
  if (pi.captureMethod !== 'automatic') {
    throw new AppError(
      'parameter_invalid',
      'M-Pesa payments are captured at once; they cannot be used with capture_method=manual.',
      { param: 'capture_method' },
    );
  }
  const attempt = await beginAttempt(input, phone);
  const [merchant] = await db.select({ name: merchants.name }).from(merchants).where(eq(merchants.id, pi.merchantId));
  let accepted;
  try {
    accepted = await getDaraja().stkPush({
      amount,
      phone,
      callbackUrl: darajaCallbackUrl(),
      accountReference: accountReference(merchant?.name ?? 'paykit'),
      description: 'Payment',
    });
  } catch (err) {
    return handlePushFailure(attempt, phone, err);
  }
  const outcome = await db.transaction(async (tx) => {
    await tx
      .update(mpesaPayments)
      .set({
        checkoutRequestId: accepted.checkoutRequestId,
        merchantRequestId: accepted.merchantRequestId,
        updatedAt: new Date(),
      })
      .where(eq(mpesaPayments.attemptId, attempt.id));
    const [updated] = await tx
      .update(paymentAttempts)
      .set({ pspReference: accepted.checkoutRequestId, updatedAt: new Date() })
      .where(eq(paymentAttempts.id, attempt.id))
      .returning();
    const locked = await lockPaymentIntent(tx, attempt.merchantId, attempt.paymentIntentId);
    // processing starts the resolve-pending-payment workflow (wait for the callback, then query)
    const next = (CONFIRMABLE_STATUSES as readonly string[]).includes(locked.status)
      ? await transitionPaymentIntent(tx, locked, 'processing')
      : locked;
    return { paymentIntent: next, attempt: updated ?? attempt };
  });
  return { ...outcome, phone, checkoutRequestId: accepted.checkoutRequestId };
}

/** Records the attempt, its M-Pesa row and the risk decision; a blocked attempt is failed here and never sent. */
async function beginAttempt(input: StartMpesaInput, phone: string): Promise<PaymentAttempt> {
  const result = await getDb().transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, input.merchantId, input.paymentIntentId);
    assertConfirmable(pi.status);
    await assertNoAttemptInFlight(tx, pi.id);
    const email = (input.customerEmail ?? pi.customerEmail)?.toLowerCase() ?? null;
    const risk = await checkRisk(tx, {
      merchantId: pi.merchantId,
      amount: pi.amount,
      currency: pi.currency,
      customerIp: input.customerIp ?? null,
      customerEmail: email,
      cardFingerprint: null,
      pspRiskLevel: null,
      phone,
    });
    const attemptId = newId('paymentAttempt');
    const blocked = risk.decision === 'block';
    const [attempt] = await tx
      .insert(paymentAttempts)
      .values({
        id: attemptId,
        paymentIntentId: pi.id,
        merchantId: pi.merchantId,
        status: blocked ? 'failed' : 'pending',
        amount: pi.amount,
        currency: pi.currency,
        psp: MPESA_PSP,
        routingReason: 'KES mobile-money payments route to M-Pesa (Daraja STK push)',
        // Daraja has no idempotency key; this names the attempt's single STK push.
        pspIdempotencyKey: `${attemptId}:stkpush`,
        paymentMethodType: 'mpesa',
        customerIp: input.customerIp ?? null,
        customerEmail: email,
        riskDecision: risk.decision,
        riskReasons: risk.reasons,
        failureCode: blocked ? 'payment_blocked' : null,
        failureMessage: blocked ? blockMessage(risk.reasons) : null,
      })
      .returning();
    if (!attempt) throw new Error('attempt insert returned nothing');
    await tx.insert(mpesaPayments).values({ attemptId, merchantId: pi.merchantId, phone, amountMinor: pi.amount });
    if (blocked) {
      await transitionPaymentIntent(tx, pi, 'requires_payment_method', {
        latestAttemptId: attemptId,
        customerEmail: email,
        lastPaymentError: {
          type: 'card_error',
          code: 'payment_blocked',
          message: blockMessage(risk.reasons),
          payment_attempt: attemptId,
        },
      });
      return { attempt, blocked: blockMessage(risk.reasons) };
    }
    await tx
      .update(paymentIntents)
      .set({ latestAttemptId: attemptId, customerEmail: email, updatedAt: new Date() })
      .where(eq(paymentIntents.id, pi.id));
    return { attempt, blocked: null };
  });
  if (result.blocked) throw new AppError('payment_blocked', result.blocked);
  return result.attempt;
}

/**
 * The push got no acceptance. If Daraja never acted (spike arrest, a 4xx, no connection),
 * nothing reached the phone: fail the attempt so the customer can try again. If the answer was
 * lost after sending, the phone may be ringing: the intent waits in processing and the workflow
 * settles it (without a CheckoutRequestID it cannot be queried, so it fails it as unconfirmed).
 */
async function handlePushFailure(attempt: PaymentAttempt, phone: string, err: unknown): Promise<never> {
  if (err instanceof DarajaError && err.definite) {
    const spike = err.isSpikeArrest;
    const message = spike
      ? 'M-Pesa is receiving too many requests right now. Nothing was sent to your phone; try again in a minute.'
      : 'M-Pesa could not accept this request. Nothing was sent to your phone or charged; try again shortly.';
    await failOpenAttempt(attempt.id, spike ? 'mpesa_busy' : 'psp_unavailable', message);
    console.error(`[mpesa] STK push for ${attempt.id} refused: ${err.message}`);
    throw new AppError(spike ? 'rate_limited' : 'psp_unavailable', message, { cause: err });
  }
  if (!(err instanceof PspError)) {
    await failOpenAttempt(attempt.id, 'psp_unavailable', 'M-Pesa could not be reached. Nothing was charged; try again.').catch(
      () => undefined,
    );
    throw err;
  }
  await getDb().transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, attempt.merchantId, attempt.paymentIntentId);
    if ((CONFIRMABLE_STATUSES as readonly string[]).includes(pi.status)) await transitionPaymentIntent(tx, pi, 'processing');
  });
  console.error(`[mpesa] STK push for ${attempt.id} to ${maskPhone(phone)} has an unknown outcome: ${err.message}`);
  throw new AppError(
    'psp_unavailable',
    'M-Pesa did not answer in time. If a prompt appears on your phone you may complete it; this payment will be resolved. Do not pay again.',
    {
      cause: err,
    },
  );
}

async function loadMpesa(attemptId: string): Promise<{ attempt: PaymentAttempt; mpesa: MpesaPayment }> {
  const [row] = await getDb()
    .select({ attempt: paymentAttempts, mpesa: mpesaPayments })
    .from(paymentAttempts)
    .innerJoin(mpesaPayments, eq(mpesaPayments.attemptId, paymentAttempts.id))
    .where(eq(paymentAttempts.id, attemptId));
  if (!row) throw new AppError('resource_missing', `No such M-Pesa payment attempt: '${attemptId}'`);
  return row;
}

async function currentOutcome(attempt: PaymentAttempt): Promise<AttemptOutcome> {
  return { paymentIntent: await getPaymentIntent(getDb(), attempt.merchantId, attempt.paymentIntentId), attempt };
}

/**
 * Applies a completed STK query answer. Idempotent: applyPspPayment and failOpenAttempt only
 * move an attempt that is still open, under the intent's row lock.
 */
async function applyQueryAnswer(
  attempt: PaymentAttempt,
  mpesa: MpesaPayment,
  answer: Extract<StkQueryAnswer, { state: 'completed' }>,
  receiptNumber?: string,
) {
  if (answer.checkoutRequestId !== mpesa.checkoutRequestId)
    throw new PspError('bad_response', 'Daraja: STK query answered for another CheckoutRequestID', true);
  const result = interpretResultCode(answer.resultCode, answer.resultDesc);
  await getDb()
    .update(mpesaPayments)
    .set({
      resultCode: answer.resultCode,
      resultDesc: answer.resultDesc,
      ...(result.outcome === 'succeeded' && receiptNumber ? { receiptNumber } : {}),
      updatedAt: new Date(),
    })
    .where(eq(mpesaPayments.attemptId, attempt.id));
  if (result.outcome === 'succeeded') {
    return applyPspPayment(
      attempt.id,
      {
        pspReference: mpesa.checkoutRequestId ?? '',
        status: 'captured',
        amount: attempt.amount,
        amountCaptured: attempt.amount,
        currency: attempt.currency,
      },
      env().APP_URL,
    );
  }
  return failOpenAttempt(attempt.id, result.failureCode, result.message);
}

/**
 * Asks Daraja (STK query) about an open M-Pesa attempt and applies a final answer; "still
 * processing" leaves it open. A PspError means Daraja could not be asked (the caller backs off).
 */
export async function resolveMpesaAttempt(attemptId: string, receiptNumber?: string): Promise<AttemptOutcome> {
  const { attempt, mpesa } = await loadMpesa(attemptId);
  if (!isOpenAttempt(attempt)) return currentOutcome(attempt);
  if (!mpesa.checkoutRequestId) {
    // The push's answer was lost: there is nothing to query. Fail it with a reason reconciliation can follow up.
    return failOpenAttempt(
      attempt.id,
      'mpesa_unconfirmed',
      'We could not confirm this M-Pesa request. If you approved a payment on your phone, contact the merchant with your M-Pesa receipt.',
    );
  }
  const answer = await getDaraja().stkQuery(mpesa.checkoutRequestId);
  if (answer.state === 'processing') return currentOutcome(attempt);
  return applyQueryAnswer(attempt, mpesa, answer, receiptNumber);
}

/**
 * The deadline passed. M-Pesa has no cancel: ask once more, apply a final answer, and
 * otherwise fail the attempt with a clear reason.
 */
export async function abandonMpesaAttempt(attemptId: string): Promise<AttemptOutcome> {
  try {
    const outcome = await resolveMpesaAttempt(attemptId);
    if (!isOpenAttempt(outcome.attempt)) return outcome;
  } catch (err) {
    if (!(err instanceof PspError)) throw err;
  }
  return failOpenAttempt(
    attemptId,
    'mpesa_unresolved',
    'M-Pesa did not confirm this payment in time. If money left your M-Pesa account, contact the merchant with your receipt.',
  );
}

export function maskPhone(msisdn: string): string {
  return msisdn.length >= 12 ? `+${msisdn.slice(0, 3)} ${msisdn.slice(3, 6)} ••• ${msisdn.slice(-3)}` : '•••';
}

export interface MpesaAttemptView {
  attemptId: string;
  state: 'waiting' | 'succeeded' | 'failed';
  phone: string;
  failure: { code: string; message: string } | null;
  receiptNumber: string | null;
}

/** The latest M-Pesa attempt of an intent, as the pay page shows it; null if its latest attempt is not M-Pesa. */
export async function findMpesaAttemptView(attemptId: string | null): Promise<MpesaAttemptView | null> {
  if (!attemptId) return null;
  const [row] = await getDb()
    .select({ attempt: paymentAttempts, mpesa: mpesaPayments })
    .from(paymentAttempts)
    .innerJoin(mpesaPayments, eq(mpesaPayments.attemptId, paymentAttempts.id))
    .where(eq(paymentAttempts.id, attemptId));
  if (!row) return null;
  const { attempt, mpesa } = row;
  const state = isOpenAttempt(attempt) ? 'waiting' : attempt.status === 'succeeded' ? 'succeeded' : 'failed';
  return {
    attemptId: attempt.id,
    state,
    phone: maskPhone(mpesa.phone),
    failure:
      state === 'failed'
        ? {
            code: attempt.failureCode ?? 'mpesa_failed',
            message: attempt.failureMessage ?? 'The M-Pesa payment did not go through.',
          }
        : null,
    receiptNumber: mpesa.receiptNumber,
  };
}

/** Finds our attempt for a Daraja CheckoutRequestID (callbacks). */
export async function findMpesaByCheckoutRequestId(
  checkoutRequestId: string,
): Promise<{ attempt: PaymentAttempt; mpesa: MpesaPayment } | undefined> {
  const [row] = await getDb()
    .select({ attempt: paymentAttempts, mpesa: mpesaPayments })
    .from(mpesaPayments)
    .innerJoin(paymentAttempts, eq(paymentAttempts.id, mpesaPayments.attemptId))
    .where(eq(mpesaPayments.checkoutRequestId, checkoutRequestId));
  return row;
}

// --- The hosted pay page's M-Pesa calls (the customer's browser, authenticated by the session id) ---

export const startMpesaBody = z
  .object({
    phone: z.string().trim().min(1, 'Enter your M-Pesa phone number.').max(40),
    email: z.string().trim().email().max(320).optional(),
  })
  .strict();

export interface MpesaPayStatus {
  status: 'idle' | 'waiting' | 'succeeded' | 'failed';
  phone?: string;
  redirect_url?: string;
  error?: { code: string; message: string };
}

async function openSessionForMpesa(sessionId: string) {
  const row = await findSessionForCustomer(sessionId);
  if (!row) throw new AppError('resource_missing', 'This checkout session does not exist.');
  if (row.session.status === 'complete')
    throw new AppError('checkout_session_unexpected_state', 'This checkout session is already paid.');
  if (isExpired(row.session))
    throw new AppError(
      'checkout_session_unexpected_state',
      'This checkout session has expired. Return to the store to start again.',
    );
  if (row.session.currency !== 'kes')
    throw new AppError('currency_unsupported', 'M-Pesa is only offered for payments in KES.', { param: 'currency' });
  return row;
}

/**
 * "Pay with M-Pesa" on the pay page. The customer's Idempotency-Key (one per click) makes a
 * double submit return the first outcome instead of prompting the phone twice.
 */
export async function startMpesaForSession(input: {
  sessionId: string;
  phone: string;
  email?: string;
  customerIp: string | null;
  idempotencyKey: string;
}): Promise<{ status: number; body: unknown; replayed: boolean }> {
  const { session } = await openSessionForMpesa(input.sessionId);
  return withIdempotentCall(
    {
      merchantId: session.merchantId,
      key: `mpesa:${session.id}:${input.idempotencyKey}`,
      endpoint: `POST /api/pay/${session.id}/mpesa`,
      body: { phone: input.phone, email: input.email ?? null },
      lockMs: 120_000,
    },
    async () => {
      const started = await startMpesaPayment({
        merchantId: session.merchantId,
        paymentIntentId: session.paymentIntentId,
        phone: input.phone,
        customerIp: input.customerIp,
        customerEmail: input.email ?? null,
      });
      const body: MpesaPayStatus = { status: 'waiting', phone: maskPhone(started.phone) };
      return { status: 200, body };
    },
  );
}

/** What the pay page polls while the customer answers on the phone: read-only, cheap. */
export async function mpesaStatusForSession(sessionId: string): Promise<MpesaPayStatus> {
  const row = await findSessionForCustomer(sessionId);
  if (!row) throw new AppError('resource_missing', 'This checkout session does not exist.');
  const view = await findMpesaAttemptView(row.pi.latestAttemptId);
  if (row.session.status === 'complete')
    return { status: 'succeeded', redirect_url: successUrlFor(row.session), ...(view ? { phone: view.phone } : {}) };
  if (!view) return { status: 'idle' };
  if (view.state === 'succeeded') return { status: 'succeeded', phone: view.phone, redirect_url: successUrlFor(row.session) };
  if (view.state === 'failed')
    return {
      status: 'failed',
      phone: view.phone,
      error: view.failure ?? { code: 'mpesa_failed', message: 'The M-Pesa payment did not go through.' },
    };
  return { status: 'waiting', phone: view.phone };
}
