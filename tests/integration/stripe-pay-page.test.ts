import { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { merchantSettings } from '@/db/schema';
import {
  CARD_FORM_HEADER,
  cardFormFromHeaders,
  cardFormPspForSession,
  payPageCsp,
  stripePayPageDisabledReason,
} from '@/lib/checkout/pay';
import { resetEnvCache } from '@/lib/env';
import { resetCardPsp } from '@/lib/psp';
import { proxy, config as proxyConfig } from '@/proxy';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { attemptOf, createTestCheckoutSession } from '@/tests/helpers/factories';

const ENV_KEYS = [
  'STRIPE_SECRET_KEY',
  'STRIPE_PUBLISHABLE_KEY',
  'STRIPE_API_BASE',
  'STRIPE_WEBHOOK_SECRET',
  'PSP_RETRY_BASE_MS',
] as const;
const PUBLISHABLE_KEY = 'pk_test_fake_pay_page';

let app: TestApp;
let fake: FakeStripe;
/** Routes cards to Stripe first. */
let stripeFirst: ReturnType<typeof apiClient>;
/** Saved no preference: the default order puts the sandbox first. */
let sandboxFirst: ReturnType<typeof apiClient>;

function enableStripe() {
  Object.assign(process.env, {
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    STRIPE_API_BASE: fake.url,
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    PSP_RETRY_BASE_MS: '20',
  });
  resetEnvCache();
  resetCardPsp();
}

beforeAll(async () => {
  fake = await startFakeStripe();
  enableStripe();
  app = await startTestApp();
  const a = await createTestMerchant('Stripe First Shop');
  await getDb()
    .insert(merchantSettings)
    .values({ merchantId: a.merchant.id, pspRouting: { card: ['stripe', 'sandbox_card'], mpesa: ['daraja'] } });
  stripeFirst = apiClient(app, a.secretKey);
  sandboxFirst = apiClient(app, (await createTestMerchant('Sandbox Shop')).secretKey);
});
afterEach(() => enableStripe());
afterAll(async () => {
  for (const k of ENV_KEYS) delete process.env[k];
  resetEnvCache();
  resetCardPsp();
  await app?.close();
  await fake?.close();
});

async function newSession(api: ReturnType<typeof apiClient>, amount = 2_700): Promise<{ id: string; payment_intent: string }> {
  return createTestCheckoutSession(api, { line_items: [{ name: 'Mug', quantity: 1, unit_amount: amount }] });
}

let ip = 20;
async function payWith(sessionId: string, token: string) {
  const res = await fetch(`${app.url}/api/pay/${sessionId}/confirm`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': `198.51.100.${ip++}`,
      'idempotency-key': crypto.randomUUID(),
    },
    body: JSON.stringify({ token, email: `buyer-${crypto.randomUUID()}@example.test` }),
  });
  return { status: res.status, body: (await res.json()) as { status?: string; redirect_url?: string; error?: { code: string } } };
}

/** What the proxy sends for a pay page: the response CSP and the one Next.js reads its nonce from. */
async function cspFor(sessionId: string) {
  const res = await proxy(new NextRequest(`${app.url}/pay/${sessionId}`));
  const csp = res.headers.get('content-security-policy') ?? '';
  const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
  return {
    csp,
    directives,
    forwarded: res.headers.get('x-middleware-request-content-security-policy'),
    nonce: res.headers.get('x-middleware-request-x-nonce'),
    cardForm: res.headers.get(`x-middleware-request-${CARD_FORM_HEADER}`),
  };
}

describe('which card form the pay page shows', () => {
  it("shows Stripe's Payment Element when the merchant routes cards to Stripe first and Stripe is enabled", async () => {
    expect(stripePayPageDisabledReason()).toBeNull();
    expect(await cardFormPspForSession((await newSession(stripeFirst)).id)).toBe('stripe');
  });

  it('keeps the sandbox form for a merchant with the default order, and for an unknown session', async () => {
    expect(await cardFormPspForSession((await newSession(sandboxFirst)).id)).toBe('sandbox_card');
    expect(await cardFormPspForSession('cs_doesnotexist123')).toBe('sandbox_card');
  });

  it.each([
    ['STRIPE_SECRET_KEY', 'STRIPE_SECRET_KEY is not set'],
    ['STRIPE_PUBLISHABLE_KEY', 'STRIPE_PUBLISHABLE_KEY is not set'],
  ])('falls back to the sandbox form when %s is missing, and says why', async (key, reason) => {
    const cs = await newSession(stripeFirst);
    delete process.env[key];
    resetEnvCache();
    expect(stripePayPageDisabledReason()).toBe(reason);
    expect(await cardFormPspForSession(cs.id)).toBe('sandbox_card');
  });
});

describe('the pay page Content-Security-Policy', () => {
  it('runs on every path but the build assets (it also sets the other pages\' headers)', () => {
    expect(proxyConfig.matcher).toEqual(['/((?!_next/static|_next/image|favicon.ico).*)']);
  });

  it("allows exactly Stripe's origins in Stripe mode, with a fresh nonce per request", async () => {
    const cs = await newSession(stripeFirst);
    const first = await cspFor(cs.id);
    const second = await cspFor(cs.id);
    expect(first.nonce).toBeTruthy();
    expect(first.nonce).not.toBe(second.nonce);
    // Next.js reads the nonce from the request's CSP and stamps it on its inline scripts.
    expect(first.forwarded).toBe(first.csp);
    expect(first.directives.get('script-src')).toEqual(["'self'", `'nonce-${first.nonce}'`, 'https://js.stripe.com']);
    expect(first.directives.get('frame-src')).toEqual(['https://js.stripe.com', 'https://hooks.stripe.com']);
    expect(first.directives.get('connect-src')).toEqual(["'self'", 'https://api.stripe.com']);
    expect(first.directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(first.directives.get('object-src')).toEqual(["'none'"]);
    expect(first.csp).not.toMatch(/unsafe-eval|'unsafe-inline'.*script|strict-dynamic/);
    // the page shows the form this CSP was built for: the proxy hands its decision on
    expect(first.cardForm).toBe('stripe');
    expect(cardFormFromHeaders(new Headers({ [CARD_FORM_HEADER]: first.cardForm! }))).toBe('stripe');
  });

  it("is strict and names no Stripe origin when the session's cards go to the sandbox", async () => {
    for (const sessionId of [(await newSession(sandboxFirst)).id, 'cs_doesnotexist123']) {
      const { csp, directives, nonce } = await cspFor(sessionId);
      expect(csp).not.toContain('stripe');
      expect(directives.get('script-src')).toEqual(["'self'", `'nonce-${nonce}'`]);
      // the sandbox bank's 3-D Secure challenge runs in a frame of this page, from this app
      expect(directives.get('frame-src')).toEqual(["'self'"]);
      expect(directives.get('connect-src')).toEqual(["'self'"]);
      expect(directives.get('default-src')).toEqual(["'self'"]);
      expect((await cspFor(sessionId)).cardForm).toBe('sandbox_card');
    }
    expect(cardFormFromHeaders(new Headers())).toBeNull();
    expect(cardFormFromHeaders(new Headers({ [CARD_FORM_HEADER]: 'paypal' }))).toBeNull();
  });

  it('is strict for a Stripe-first merchant while Stripe is disabled', async () => {
    const cs = await newSession(stripeFirst);
    delete process.env.STRIPE_SECRET_KEY;
    resetEnvCache();
    expect((await cspFor(cs.id)).csp).not.toContain('stripe');
  });

  it('lets the sandbox form reach a tokenizer on another origin, and allows eval only in development', () => {
    const csp = payPageCsp({
      cardPsp: 'sandbox_card',
      nonce: 'abc',
      sandboxCardUrl: 'https://cards.example:8443/base',
      dev: true,
    });
    expect(csp).toContain("connect-src 'self' https://cards.example:8443;");
    expect(csp).toContain("script-src 'self' 'nonce-abc' 'unsafe-eval';");
  });
});

describe('paying with a Stripe PaymentMethod through the pay page confirm', () => {
  it('charges the pm_ id at Stripe and sends the customer to the success URL', async () => {
    const cs = await newSession(stripeFirst, 4_200);
    const res = await payWith(cs.id, 'pm_card_visa');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'succeeded', redirect_url: `https://shop.example/success?session_id=${cs.id}` });
    const attempt = await attemptOf(cs.payment_intent);
    expect(attempt).toMatchObject({
      psp: 'stripe',
      status: 'succeeded',
      card: expect.objectContaining({ brand: 'visa', last4: '4242' }),
    });
    expect(fake.paymentIntents.get(attempt.pspReference!)).toMatchObject({ status: 'succeeded', amount: 4_200, currency: 'usd' });
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('sends the customer to Stripe for 3-D Secure, then back through the return URL to the success URL', async () => {
    const cs = await newSession(stripeFirst);
    const res = await payWith(cs.id, 'pm_card_threeDSecure2Required');
    expect(res.body.status).toBe('requires_action');
    const attempt = await attemptOf(cs.payment_intent);
    expect(res.body.redirect_url).toBe(`${fake.url}/3ds/${attempt.pspReference}`);
    // Stripe was told where to send the customer afterwards: our return route for this attempt.
    const created = fake.paymentIntents.get(attempt.pspReference!)!;
    expect((created.next_action as { redirect_to_url: { return_url: string } }).redirect_to_url.return_url).toBe(
      `${app.url}/pay/${cs.id}/return?payment_attempt=${attempt.id}`,
    );

    fake.completeThreeDS(attempt.pspReference!, true);
    const back = await fetch(`${app.url}/pay/${cs.id}/return?payment_attempt=${attempt.id}`, { redirect: 'manual' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`https://shop.example/success?session_id=${cs.id}`);
    expect((await attemptOf(cs.payment_intent)).status).toBe('succeeded');
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('reports a Stripe decline as a card error the form can show', async () => {
    const cs = await newSession(stripeFirst);
    const res = await payWith(cs.id, 'pm_card_chargeDeclined');
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: 'card_declined' });
    expect(await attemptOf(cs.payment_intent)).toMatchObject({ psp: 'stripe', status: 'failed' });
  });
});
