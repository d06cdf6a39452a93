import { z } from 'zod';
import { getDb } from '@/db/client';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { withIdempotentCall } from '@/lib/idempotency';
import { confirmPaymentIntent, resolveAttempt } from '@/lib/payments/confirm';
import { getAttempt } from '@/lib/payments/intents';
import type { AttemptOutcome } from '@/lib/payments/apply-psp-result';
import { pspDisabledReason } from '@/lib/psp';
import { planPaymentRoute } from '@/lib/psp/router';
import { isCardPspName, type CardPspName } from '@/lib/psp/routing';
import { assertSessionOffers, findSessionForCustomer, isExpired, successUrlFor } from './sessions';

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

/** A session the customer may still pay: it exists, is not paid and has not expired. */
export async function openSession(sessionId: string) {
  const row = await findSessionForCustomer(sessionId);
  if (!row) throw new AppError('resource_missing', 'This checkout session does not exist.');
  if (row.session.status === 'complete') {
    throw new AppError('checkout_session_unexpected_state', 'This checkout session is already paid.');
  }
  if (isExpired(row.session)) {
    throw new AppError(
      'checkout_session_unexpected_state',
      'This checkout session has expired. Return to the store to start again.',
    );
  }
  return row;
}

type OpenSession = Awaited<ReturnType<typeof openSession>>['session'];

/**
 * One click of a pay-page button, for any payment method. The customer's Idempotency-Key (one per
 * click) makes a double submit return the first outcome instead of paying (or prompting) twice.
 */
export async function paySessionOnce(
  input: { session: OpenSession; idempotencyKey: string; action: 'confirm' | 'mpesa'; body: Record<string, unknown> },
  pay: () => Promise<unknown>,
): Promise<{ status: number; body: unknown; replayed: boolean }> {
  const { session } = input;
  return withIdempotentCall(
    {
      merchantId: session.merchantId,
      key: `${input.action === 'confirm' ? 'pay' : input.action}:${session.id}:${input.idempotencyKey}`,
      endpoint: `POST /api/pay/${session.id}/${input.action}`,
      body: input.body,
      lockMs: 120_000,
    },
    async () => ({ status: 200, body: await pay() }),
  );
}

/** The hosted pay page's "Pay" button (card). */
export async function payCheckoutSession(input: {
  sessionId: string;
  token: string;
  email: string;
  customerIp: string | null;
  idempotencyKey: string;
}): Promise<{ status: number; body: unknown; replayed: boolean }> {
  const { session } = await openSession(input.sessionId);
  assertSessionOffers(session, 'card');
  return paySessionOnce({ session, idempotencyKey: input.idempotencyKey, action: 'confirm', body: { token: input.token, email: input.email } }, async () => {
    const outcome = await confirmPaymentIntent({
      merchantId: session.merchantId,
      paymentIntentId: session.paymentIntentId,
      paymentMethod: input.token,
      customerEmail: input.email,
      customerIp: input.customerIp,
      returnUrl: `${env().APP_URL}/pay/${session.id}/return`,
    });
    return payResult(outcome, session.id, successUrlFor(session));
  });
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

/**
 * Why the pay page cannot collect cards with Stripe's Payment Element, or null when it can:
 * charging needs the secret key (lib/psp decides that), the browser needs the publishable key.
 */
export function stripePayPageDisabledReason(): string | null {
  return pspDisabledReason('stripe') ?? (env().STRIPE_PUBLISHABLE_KEY ? null : 'STRIPE_PUBLISHABLE_KEY is not set');
}

const cardFormDisabledReason = (psp: string): string | null => (psp === 'stripe' ? stripePayPageDisabledReason() : pspDisabledReason(psp));

/**
 * The PSP whose card form the pay page shows for a payment: the first PSP of the same route confirm
 * plans (the merchant's card order, minus disabled PSPs and those that cannot charge the currency).
 * A token belongs to the PSP that issued it, so the form must be the one confirm will route to first.
 */
export async function cardFormPspForMerchant(merchantId: string, currency: string): Promise<CardPspName> {
  const plan = await planPaymentRoute({ merchantId, method: 'card', currency, disabled: cardFormDisabledReason });
  const first = plan.order[0];
  return first && isCardPspName(first) ? first : 'sandbox_card';
}

/**
 * The request header through which proxy.ts hands its card-form decision to the pay page, so the
 * page shows the form its CSP was built for, without deciding (and querying) a second time. The
 * proxy sets it on every /pay request, so a client cannot supply its own.
 */
export const CARD_FORM_HEADER = 'x-paykit-card-form';

/** The proxy's decision from the request headers, or null when the proxy did not run. */
export function cardFormFromHeaders(headers: Headers): CardPspName | null {
  const decided = headers.get(CARD_FORM_HEADER);
  return decided && isCardPspName(decided) ? decided : null;
}

/** The card form for a checkout session (the sandbox one for an unknown session). */
export async function cardFormPspForSession(sessionId: string): Promise<CardPspName> {
  // Without Stripe the sandbox is the only card form: no query needed.
  if (stripePayPageDisabledReason()) return 'sandbox_card';
  const row = await findSessionForCustomer(sessionId);
  return row ? cardFormPspForMerchant(row.session.merchantId, row.session.currency) : 'sandbox_card';
}

/**
 * Where the pay page's browser code sends card data: a same-origin path when the sandbox card
 * network is this app (the default), so the request goes to whichever host the customer opened the
 * page on (127.0.0.1 or localhost) and the CSP's 'self' covers it; otherwise SANDBOX_CARD_URL,
 * whose origin the CSP names.
 */
export function sandboxTokenizerBase(input: { appUrl: string; sandboxCardUrl: string }): string {
  const card = new URL(input.sandboxCardUrl);
  if (card.origin !== new URL(input.appUrl).origin) return input.sandboxCardUrl.replace(/\/$/, '');
  return card.pathname.replace(/\/$/, '');
}

/**
 * Where the pay page loads a line item's image from. An image on this app's own origin (the demo
 * store's products) becomes a path, so the CSP's 'self' covers it on whichever host name the
 * customer used; an image elsewhere must be https (the CSP allows no other scheme), else none.
 */
export function payPageImageSrc(imageUrl: string | null | undefined, appUrl: string): string | null {
  if (!imageUrl) return null;
  let url: URL;
  try {
    url = new URL(imageUrl);
  } catch {
    return null;
  }
  if (url.origin === new URL(appUrl).origin) return `${url.pathname}${url.search}`;
  return url.protocol === 'https:' ? url.href : null;
}

/** Stripe's documented origins for Stripe.js, the Payment Element's frames (and 3-D Secure), and its API. */
export const STRIPE_CSP = {
  script: 'https://js.stripe.com',
  frame: ['https://js.stripe.com', 'https://hooks.stripe.com'],
  connect: 'https://api.stripe.com',
} as const;

/**
 * The pay page's Content-Security-Policy. Scripts: 'self' plus a per-request nonce that Next.js
 * puts on its own inline scripts (it reads the nonce from this header), so no 'unsafe-inline'
 * for scripts; no 'strict-dynamic' either, so the host allow-list stays in force and only
 * js.stripe.com may add a script (loadStripe injects it without a nonce). Styles allow
 * 'unsafe-inline': React renders style attributes (e.g. the M-Pesa progress bar) and Stripe.js
 * styles its frames; a style cannot run code. Stripe's origins appear only in Stripe mode.
 */
export function payPageCsp(input: {
  cardPsp: CardPspName;
  nonce: string;
  dev?: boolean;
  appUrl?: string;
  sandboxCardUrl?: string;
}): string {
  const stripe = input.cardPsp === 'stripe';
  const connect = ["'self'"];
  // The sandbox tokenizer may live on another origin than the app (SANDBOX_CARD_URL).
  if (!stripe && input.sandboxCardUrl) {
    const origin = new URL(input.sandboxCardUrl).origin;
    if (!input.appUrl || origin !== new URL(input.appUrl).origin) connect.push(origin);
  }
  if (stripe) connect.push(STRIPE_CSP.connect);
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    // React needs eval only in development, for its debugging stacks.
    [
      'script-src',
      ["'self'", `'nonce-${input.nonce}'`, ...(stripe ? [STRIPE_CSP.script] : []), ...(input.dev ? ["'unsafe-eval'"] : [])],
    ],
    ['style-src', ["'self'", "'unsafe-inline'"]],
    // https: product images a merchant hosts elsewhere (line_items[].images); images run no code.
    ['img-src', ["'self'", 'data:', 'blob:', 'https:']],
    ['font-src', ["'self'"]],
    ['connect-src', connect],
    ['frame-src', stripe ? [...STRIPE_CSP.frame] : ["'none'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'self'"]],
    ['form-action', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}
