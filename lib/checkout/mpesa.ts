import { z } from 'zod';
import { AppError } from '@/lib/errors';
import { isOpenAttempt } from '@/lib/payments/apply-psp-result';
import { confirmPayment } from '@/lib/payments/confirm';
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
        ? { code: attempt.failureCode ?? 'mpesa_failed', message: attempt.failureMessage ?? 'The M-Pesa payment did not go through.' }
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
  if (session.currency !== 'kes') throw new AppError('currency_unsupported', 'M-Pesa is only offered for payments in KES.', { param: 'currency' });
  assertSessionOffers(session, 'mpesa');
  return paySessionOnce({ session, idempotencyKey: input.idempotencyKey, action: 'mpesa', body: { phone: input.phone, email: input.email ?? null } }, async () => {
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
  });
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
    return { status: 'failed', phone: view.phone, error: view.failure ?? { code: 'mpesa_failed', message: 'The M-Pesa payment did not go through.' } };
  return { status: 'waiting', phone: view.phone };
}
