import { z } from 'zod';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { isOpenAttempt } from '@/lib/payments/apply-psp-result';
import { confirmPayment } from '@/lib/payments/confirm';
import { formatMoney } from '@/lib/money';
import { toWholeShillings } from '@/lib/psp/daraja/format';
import { darajaC2bUrls, ensureC2bRegistered, getDaraja } from '@/lib/psp/daraja';
import { findMpesaAttempt } from '@/lib/psp/daraja/store';
import { openSession, paySessionOnce } from './pay';
import { assertSessionOffers, findSessionForCustomer, successUrlFor } from './sessions';

/**
 * The hosted pay page's M-Pesa calls (the customer's browser, authenticated by the session id)
 * and what the page shows of an M-Pesa attempt. The payment itself goes through the same confirm
 * as a card (lib/payments/confirm.ts): risk, attempt, STK push, then the intent waits in processing
 * until Daraja's STK query settles it.
 */

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

/**
 * Whether the pay page offers M-Pesa for an amount, and if not, why in the customer's words.
 * M-Pesa moves whole shillings only, so a KES total with cents is paid by card (it used to be
 * offered and then refused).
 */
export function mpesaOffer(amountMinor: number, currency: string): { offered: true } | { offered: false; reason: string } {
  if (currency !== 'kes') return { offered: false, reason: 'M-Pesa is only offered for payments in KES.' };
  try {
    toWholeShillings(amountMinor, currency);
    return { offered: true };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return {
      offered: false,
      reason: `M-Pesa is not offered for this payment: M-Pesa moves whole shillings only, and this total is ${formatMoney(amountMinor, 'kes')}. Pay by card instead.`,
    };
  }
}

/**
 * The session a phone-menu payment (Paybill or Till, both to the store's shortcode) may be offered
 * for: open, and M-Pesa fits its amount. Our C2B URLs must be registered before anyone pays to the
 * number (idempotent; once per process; one registration covers Paybill and Till): without them
 * nobody would validate the payment, so the method is not offered (null).
 */
export async function c2bOfferedSession(sessionId: string, method: 'Paybill' | 'Till') {
  const row = await findSessionForCustomer(sessionId);
  if (!row || row.session.status !== 'open' || !mpesaOffer(row.session.amountTotal, row.session.currency).offered) return null;
  try {
    await ensureC2bRegistered(getDaraja(), darajaC2bUrls());
  } catch (err) {
    console.error(`[mpesa] C2B URL registration failed; ${method} not offered:`, err instanceof Error ? err.message : err);
    return null;
  }
  return row;
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
  const row = await findMpesaAttempt(attemptId);
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

/**
 * "Pay with M-Pesa" on the pay page. The customer's Idempotency-Key (one per click) makes a
 * double submit return the first outcome instead of prompting the phone twice; a second click
 * while the first prompt is open fails with payment_in_progress (one attempt in flight per intent).
 */
export async function startMpesaForSession(input: {
  sessionId: string;
  phone: string;
  email?: string;
  customerIp: string | null;
  idempotencyKey: string;
}): Promise<{ status: number; body: unknown; replayed: boolean }> {
  const { session } = await openSession(input.sessionId);
  if (session.currency !== 'kes')
    throw new AppError('currency_unsupported', 'M-Pesa is only offered for payments in KES.', { param: 'currency' });
  assertSessionOffers(session, 'mpesa');
  return paySessionOnce(
    { session, idempotencyKey: input.idempotencyKey, action: 'mpesa', body: { phone: input.phone, email: input.email ?? null } },
    async () => {
      const started = await confirmPayment({
        method: 'mpesa',
        merchantId: session.merchantId,
        paymentIntentId: session.paymentIntentId,
        paymentMethod: input.phone,
        customerIp: input.customerIp,
        customerEmail: input.email ?? null,
      });
      const body: MpesaPayStatus = { status: 'waiting', phone: maskPhone(started.paymentMethod.reference) };
      return body;
    },
  );
}

/** How long the phone shows an STK prompt before M-Pesa gives up on it (ResultCode 1037): DARAJA_STK_PROMPT_LIFETIME_MS. */
export const stkPromptLifetimeMs = () => env().DARAJA_STK_PROMPT_LIFETIME_MS;

/** Our extension of Stripe's next_action: the prompt is on the payer's phone. */
export interface MpesaStkPushAction {
  type: 'mpesa_stk_push';
  mpesa_stk_push: {
    phone: string;
    checkout_request_id: string | null;
    merchant_request_id: string | null;
    /** Unix seconds: after this the prompt has expired on the phone. */
    expires_at: number;
  };
}

function stkPushAction(mpesa: {
  phone: string;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  createdAt: Date;
}): MpesaStkPushAction {
  return {
    type: 'mpesa_stk_push',
    mpesa_stk_push: {
      phone: mpesa.phone,
      checkout_request_id: mpesa.checkoutRequestId,
      merchant_request_id: mpesa.merchantRequestId,
      expires_at: Math.floor((mpesa.createdAt.getTime() + stkPromptLifetimeMs()) / 1000),
    },
  };
}

/**
 * The intent's open STK push as its next_action, for every read of a processing intent (not only
 * the confirm's answer): the latest attempt is M-Pesa, still open, and its prompt not yet expired
 * on the phone. Null otherwise. A read.
 */
export async function openStkPushAction(
  paymentIntent: { status: string; latestAttemptId: string | null },
  now = new Date(),
): Promise<MpesaStkPushAction | null> {
  if (paymentIntent.status !== 'processing' || !paymentIntent.latestAttemptId) return null;
  const row = await findMpesaAttempt(paymentIntent.latestAttemptId);
  if (!row || !isOpenAttempt(row.attempt)) return null;
  const action = stkPushAction(row.mpesa);
  return action.mpesa_stk_push.expires_at * 1000 > now.getTime() ? action : null;
}

/**
 * `POST /v1/payment_intents/:id/confirm` with `payment_method_data: {type: "mpesa", ...}`: the
 * same confirm as the pay page (risk, attempt, STK push; Idempotency-Key by apiPost), answered
 * with the intent in processing and where the prompt went. The outcome reaches the merchant by
 * webhook (payment_intent.succeeded / payment_failed) or by polling the intent.
 */
export async function confirmPaymentIntentByMpesa(input: {
  merchantId: string;
  paymentIntentId: string;
  phone: string;
  customerEmail?: string | null;
  customerIp?: string | null;
}) {
  const started = await confirmPayment({
    method: 'mpesa',
    merchantId: input.merchantId,
    paymentIntentId: input.paymentIntentId,
    paymentMethod: input.phone,
    customerEmail: input.customerEmail ?? null,
    customerIp: input.customerIp ?? null,
  });
  const row = await findMpesaAttempt(started.attempt.id);
  const nextAction = started.paymentIntent.status === 'processing' && row ? stkPushAction(row.mpesa) : null;
  return { paymentIntent: started.paymentIntent, attempt: started.attempt, nextAction };
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
