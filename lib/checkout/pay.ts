import { z } from 'zod';
import { getDb } from '@/db/client';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { withIdempotentCall } from '@/lib/idempotency';
import { confirmPaymentIntent, resolveAttempt } from '@/lib/payments/confirm';
import { getAttempt } from '@/lib/payments/intents';
import type { AttemptOutcome } from '@/lib/payments/apply-psp-result';
import { findSessionForCustomer, isExpired, successUrlFor } from './sessions';

export const payWithCardBody = z
  .object({
    token: z.string().min(1).max(200),
    email: z.string().trim().email().max(320),
  })
  .strict();

export interface PayResult {
  status: 'succeeded' | 'requires_action' | 'processing';
  redirect_url: string;
}

async function openSession(sessionId: string) {
  const row = await findSessionForCustomer(sessionId);
  if (!row) throw new AppError('resource_missing', 'This checkout session does not exist.');
  if (row.session.status === 'complete') {
    throw new AppError('checkout_session_unexpected_state', 'This checkout session is already paid.');
  }
  if (isExpired(row.session)) {
    throw new AppError('checkout_session_unexpected_state', 'This checkout session has expired. Return to the store to start again.');
  }
  return row;
}

/**
 * The hosted pay page's "Pay" button. The customer's Idempotency-Key (one per click) makes a
 * double submit return the first outcome instead of paying twice.
 */
export async function payCheckoutSession(input: {
  sessionId: string;
  token: string;
  email: string;
  customerIp: string | null;
  idempotencyKey: string;
}): Promise<{ status: number; body: unknown; replayed: boolean }> {
  const { session } = await openSession(input.sessionId);
  return withIdempotentCall(
    {
      merchantId: session.merchantId,
      key: `pay:${session.id}:${input.idempotencyKey}`,
      endpoint: `POST /api/pay/${session.id}/confirm`,
      body: { token: input.token, email: input.email },
      lockMs: 120_000,
    },
    async () => {
      const outcome = await confirmPaymentIntent({
        merchantId: session.merchantId,
        paymentIntentId: session.paymentIntentId,
        paymentMethod: input.token,
        customerEmail: input.email,
        customerIp: input.customerIp,
        returnUrl: `${env().APP_URL}/pay/${session.id}/return`,
      });
      return { status: 200, body: payResult(outcome, session.id, successUrlFor(session)) };
    },
  );
}

function payResult(outcome: AttemptOutcome, sessionId: string, successUrl: string): PayResult {
  const { paymentIntent: pi, attempt } = outcome;
  if (pi.status === 'succeeded' || pi.status === 'requires_capture') return { status: 'succeeded', redirect_url: successUrl };
  if (pi.status === 'requires_action' && attempt.nextAction?.redirect_to_url.url) {
    return { status: 'requires_action', redirect_url: attempt.nextAction.redirect_to_url.url };
  }
  return { status: 'processing', redirect_url: `${env().APP_URL}/pay/${sessionId}` };
}

/**
 * Where the customer lands after 3-D Secure. The PSP is asked for the attempt's outcome (the
 * browser's word is not trusted), then the customer goes to the merchant's success URL or back
 * to the pay page, which shows why the payment failed.
 */
export async function returnFromAuthentication(sessionId: string, attemptId: string | null): Promise<string> {
  const row = await findSessionForCustomer(sessionId);
  if (!row) throw new AppError('resource_missing', 'This checkout session does not exist.');
  const payPage = `${env().APP_URL}/pay/${sessionId}`;
  const attempt = attemptId ? await getAttempt(getDb(), attemptId) : null;
  if (!attempt || attempt.paymentIntentId !== row.session.paymentIntentId) return payPage;
  const { paymentIntent } = await resolveAttempt(attempt.id).catch((err: unknown) => {
    console.error('[pay] could not resolve attempt after authentication', attempt.id, err);
    return { paymentIntent: row.pi };
  });
  if (paymentIntent.status === 'succeeded' || paymentIntent.status === 'requires_capture') return successUrlFor(row.session);
  return payPage;
}
