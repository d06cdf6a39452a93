import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { sandboxCardPayments } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { resolveAttempt } from '@/lib/payments/confirm';
import { resetCardPsp, withResilience } from '@/lib/psp';
import { PspError, type CardPspAdapter } from '@/lib/psp/types';
import { createCircuitBreaker, createRetryPolicy } from '@/lib/resilience/policies';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { attemptOf } from '@/tests/helpers/factories';

/**
 * Failover between card PSPs. Both PSPs must be able to charge the same payment method, so the
 * tests pay with Stripe's pm_card_* test ids, which the sandbox network and (the fake of) Stripe
 * both accept: the merchant's default order is sandbox_card, then stripe.
 */

const ENV = {
  PSP_RETRY_BASE_MS: '20',
  PSP_TIMEOUT_MS: '300',
  PSP_MAX_RETRIES: '1',
};

let app: TestApp;
let fake: FakeStripe;
let proxy: FetchServer | undefined;
let api: ReturnType<typeof apiClient>;

async function deadOrigin(): Promise<string> {
  const server = await startFetchServer(() => new Response('unused'));
  await server.close();
  return server.url;
}

function useSandboxAt(url: string, extra: Record<string, string> = {}) {
  Object.assign(process.env, { SANDBOX_CARD_URL: url, ...extra });
  resetEnvCache();
  resetCardPsp();
}

beforeAll(async () => {
  fake = await startFakeStripe();
  Object.assign(process.env, ENV, { STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: fake.url });
  app = await startTestApp();
  api = apiClient(app, (await createTestMerchant()).secretKey);
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  delete process.env.PSP_BREAKER_THRESHOLD;
  useSandboxAt(app.url);
});
afterAll(async () => {
  for (const k of [...Object.keys(ENV), 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE']) delete process.env[k];
  resetEnvCache();
  resetCardPsp();
  await app?.close();
  await fake?.close();
});

const chargesAtSandbox = (key: string) => getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.idempotencyKey, key));
const chargesAtStripe = (key: string) => fake.charges().filter((pi) => pi.metadata.paykit_idempotency_key === key);

describe('card PSP failover', () => {
  it('pays at the secondary, once, when the primary cannot be reached, and records why', async () => {
    useSandboxAt(await deadOrigin());
    const pi = (await api.post('/api/v1/payment_intents', { amount: 6_100, currency: 'usd' })).body;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('succeeded');
    const attempt = await attemptOf(pi.id);
    expect(attempt.psp).toBe('stripe');
    expect(attempt.routingReason).toBe('sandbox_card unreachable (connection refused); failed over to stripe');
    expect(chargesAtStripe(attempt.pspIdempotencyKey)).toHaveLength(1);
    expect(await chargesAtSandbox(attempt.pspIdempotencyKey)).toHaveLength(0);
    await assertPaymentInvariants(pi.id);
  });

  it('skips a primary whose circuit is open without calling it', async () => {
    useSandboxAt(await deadOrigin(), { PSP_BREAKER_THRESHOLD: '1' });
    const first = (await api.post('/api/v1/payment_intents', { amount: 6_200, currency: 'usd' })).body;
    expect((await api.post(`/api/v1/payment_intents/${first.id}/confirm`, { payment_method: 'pm_card_visa' })).body.status).toBe('succeeded');
    const second = (await api.post('/api/v1/payment_intents', { amount: 6_300, currency: 'usd' })).body;
    expect((await api.post(`/api/v1/payment_intents/${second.id}/confirm`, { payment_method: 'pm_card_visa' })).body.status).toBe('succeeded');
    const attempt = await attemptOf(second.id);
    expect(attempt.psp).toBe('stripe');
    expect(attempt.routingReason).toBe('sandbox_card unreachable (circuit open); failed over to stripe');
    expect(chargesAtStripe(attempt.pspIdempotencyKey)).toHaveLength(1);
  });

  it('never fails over after a timeout once the request was sent: processing, then resolved by query at the primary', async () => {
    let answersLost = true;
    proxy = await startFetchServer(async (req) => {
      const url = new URL(req.url);
      const body = req.method === 'GET' ? undefined : await req.text();
      const forwarded = await fetch(`${app.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body });
      // while answersLost, authorizations reach the network but their answers time out
      if (req.method === 'POST' && url.pathname.endsWith('/v1/payments') && answersLost) await new Promise((r) => setTimeout(r, 1_000));
      return new Response(await forwarded.text(), { status: forwarded.status, headers: { 'content-type': 'application/json' } });
    });
    useSandboxAt(proxy.url);
    const stripeRequestsBefore = fake.requests.length;
    const pi = (await api.post('/api/v1/payment_intents', { amount: 6_400, currency: 'usd' })).body;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/processing/);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('processing');
    const attempt = await attemptOf(pi.id);
    expect(attempt.psp).toBe('sandbox_card');
    expect(fake.requests.length).toBe(stripeRequestsBefore); // Stripe was never asked

    answersLost = false;
    const resolved = await resolveAttempt(attempt.id);
    expect(resolved.paymentIntent.status).toBe('succeeded');
    expect(await chargesAtSandbox(attempt.pspIdempotencyKey)).toHaveLength(1);
    expect(chargesAtStripe(attempt.pspIdempotencyKey)).toHaveLength(0);
    await assertPaymentInvariants(pi.id);
  });
});

describe('resilience wrapper', () => {
  it('reports "sent" when an earlier try was sent, even if the circuit then opens', async () => {
    let calls = 0;
    const flaky: CardPspAdapter = {
      name: 'flaky',
      retrieveCardToken: () => Promise.reject(new Error('unused')),
      authorize: () => {
        calls++;
        return Promise.reject(new PspError('timeout', 'flaky: authorize timed out', true));
      },
      retrieve: () => Promise.reject(new Error('unused')),
      capture: () => Promise.reject(new Error('unused')),
      cancel: () => Promise.reject(new Error('unused')),
      refund: () => Promise.reject(new Error('unused')),
      retrieveRefund: () => Promise.reject(new Error('unused')),
    };
    const isTransient = (err: Error) => err instanceof PspError && err.kind !== 'rejected';
    const wrapped = withResilience(
      flaky,
      createRetryPolicy({ strategy: 'exponential', maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2, totalTimeoutMs: 5_000, isTransient }),
      createCircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 60_000, isFailure: isTransient }),
    );
    const err = await wrapped.authorize({ idempotencyKey: 'k', amount: 1, currency: 'usd', token: 't', capture: true }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(PspError);
    expect(err).toMatchObject({ kind: 'unreachable', requestSent: true });
  });
});
