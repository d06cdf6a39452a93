import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { checkoutSessions, outboxEvents, sandboxCardPayments } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { resetEnvCache } from '@/lib/env';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { resetCardPsp } from '@/lib/psp';
import { expireCheckoutSession } from '@/lib/payments/resolution';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { attemptOf } from '@/tests/helpers/factories';

let app: TestApp;
let harness: Harness | undefined;
let proxy: FetchServer | undefined;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  Object.assign(process.env, {
    PAYMENT_CALLBACK_TIMEOUT_MS: '200',
    PAYMENT_RESOLUTION_DEADLINE_MS: '700',
    PAYMENT_QUERY_BACKOFF_MS: '100',
    PSP_TIMEOUT_MS: '300',
  });
  app = await startTestApp();
  api = apiClient(app, (await createTestMerchant()).secretKey);
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await proxy?.close();
  proxy = undefined;
  process.env.SANDBOX_CARD_URL = app.url;
  resetEnvCache();
  resetCardPsp();
});
afterAll(async () => {
  for (const k of ['PAYMENT_CALLBACK_TIMEOUT_MS', 'PAYMENT_RESOLUTION_DEADLINE_MS', 'PAYMENT_QUERY_BACKOFF_MS', 'PSP_TIMEOUT_MS']) delete process.env[k];
  await app.close();
});

async function engine() {
  harness = await startHarness((client) => defineFunctions(client));
  return harness;
}
const relay = (h: Harness) => relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined));

describe('payments left in requires_action or processing are resolved', () => {
  it('an abandoned 3-D Secure challenge is canceled at the network and failed with a clear reason', async () => {
    const h = await engine();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 5000, currency: 'usd' })).body;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_threeDSecure2Required', return_url: 'https://shop.example/r' });
    expect(res.body.status).toBe('requires_action');
    await relay(h);
    const after = await h.waitFor(async () => {
      const body = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body;
      return body.status === 'requires_payment_method' ? body : undefined;
    });
    expect(after.last_payment_error).toMatchObject({ code: 'authentication_abandoned', message: expect.stringMatching(/did not complete 3-D Secure/) });
    const attempt = await attemptOf(pi.id);
    expect(attempt).toMatchObject({ status: 'failed', failureCode: 'authentication_abandoned' });
    const [atNetwork] = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.id, attempt.pspReference!));
    expect(atNetwork?.status).toBe('canceled');
    // the customer can still pay with another card
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })).body.status).toBe('succeeded');
    await assertPaymentInvariants(pi.id);
  });

  it('a challenge completed at the issuer is found by querying, without the customer coming back', async () => {
    const h = await engine();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 5100, currency: 'usd' })).body;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_threeDSecure2Required', return_url: 'https://shop.example/r' });
    const sandboxId = new URL(res.body.next_action.redirect_to_url.url).pathname.split('/').pop();
    await fetch(`${app.url}/api/sandbox/card/v1/payments/${sandboxId}/3ds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'succeeded' }),
    });
    await relay(h);
    await h.waitFor(async () => ((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status === 'succeeded' ? true : undefined));
    await assertPaymentInvariants(pi.id);
  });

  it('a network timeout after sending leaves the payment processing; the workflow resolves it without a second charge', async () => {
    let answersLost = true;
    proxy = await startFetchServer(async (req) => {
      const url = new URL(req.url);
      const target = `${app.url}${url.pathname}${url.search}`;
      const body = req.method === 'GET' ? undefined : await req.text();
      const forwarded = await fetch(target, { method: req.method, headers: req.headers, body });
      // while answersLost, authorizations reach the network but their answers time out
      if (req.method === 'POST' && url.pathname.endsWith('/v1/payments') && answersLost) {
        await new Promise((r) => setTimeout(r, 1_000));
      }
      return new Response(await forwarded.text(), { status: forwarded.status, headers: { 'content-type': 'application/json' } });
    });
    process.env.SANDBOX_CARD_URL = proxy.url;
    resetEnvCache();
    resetCardPsp();
    const h = await engine();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 5200, currency: 'usd' })).body;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/processing/);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('processing');
    answersLost = false;
    await relay(h);
    await h.waitFor(async () => ((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status === 'succeeded' ? true : undefined));
    const attempt = await attemptOf(pi.id);
    const charges = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.idempotencyKey, attempt.pspIdempotencyKey));
    expect(charges).toHaveLength(1);
    await assertPaymentInvariants(pi.id);
  });
});

describe('checkout session expiry', () => {
  it('expires an abandoned session and cancels its intent; a paid or fresh one is left alone', async () => {
    const body = { amount: 900, currency: 'usd', success_url: 'https://s.example/ok', cancel_url: 'https://s.example/no' };
    const stale = (await api.post('/api/v1/checkout/sessions', body)).body;
    const fresh = (await api.post('/api/v1/checkout/sessions', body)).body;
    await getDb().update(checkoutSessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(checkoutSessions.id, stale.id));
    expect(await expireCheckoutSession(stale.id)).toBe('expired');
    expect(await expireCheckoutSession(stale.id)).toBe('skipped');
    expect(await expireCheckoutSession(fresh.id)).toBe('skipped');
    expect((await api.get(`/api/v1/checkout/sessions/${stale.id}`)).body.status).toBe('expired');
    expect((await api.get(`/api/v1/payment_intents/${stale.payment_intent}`)).body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, stale.id));
    expect(events.map((e) => e.type)).toEqual(['checkout.session.expired']);
    expect((await api.get(`/api/v1/checkout/sessions/${fresh.id}`)).body.status).toBe('open');
  });
});
