import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentAttempts, sandboxCardPayments } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { resetCardPsp } from '@/lib/psp';
import { startFetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  Object.assign(process.env, { PSP_RETRY_STRATEGY: 'fixed', PSP_RETRY_BASE_MS: '10', PSP_MAX_RETRIES: '2', PSP_BREAKER_THRESHOLD: '4' });
  app = await startTestApp();
  api = apiClient(app, (await createTestMerchant()).secretKey);
});
afterAll(async () => {
  for (const k of ['PSP_RETRY_STRATEGY', 'PSP_RETRY_BASE_MS', 'PSP_MAX_RETRIES', 'PSP_BREAKER_THRESHOLD']) delete process.env[k];
  await app.close();
});

function pointCardPspAt(url: string) {
  process.env.SANDBOX_CARD_URL = url;
  resetEnvCache();
  resetCardPsp();
}

describe('PSP calls under failure', () => {
  it('retries a 5xx with the same idempotency key and charges once', async () => {
    let failures = 0;
    const seenKeys: string[] = [];
    const flaky = await startFetchServer(async (req) => {
      const url = new URL(req.url);
      const body = req.method === 'GET' ? undefined : await req.text();
      if (req.method === 'POST' && url.pathname.endsWith('/v1/payments')) {
        seenKeys.push(req.headers.get('idempotency-key') ?? '');
        if (failures++ < 2) return new Response('upstream error', { status: 503 });
      }
      const res = await fetch(`${app.url}${url.pathname}`, { method: req.method, headers: req.headers, body });
      return new Response(await res.text(), { status: res.status, headers: { 'content-type': 'application/json' } });
    });
    pointCardPspAt(flaky.url);
    try {
      const pi = (await api.post('/api/v1/payment_intents', { amount: 700, currency: 'usd' })).body;
      const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
      expect(res.body.status).toBe('succeeded');
      expect(seenKeys).toHaveLength(3);
      expect(new Set(seenKeys).size).toBe(1);
      expect(await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.idempotencyKey, seenKeys[0]!))).toHaveLength(1);
    } finally {
      await flaky.close();
      pointCardPspAt(app.url);
    }
  });

  it('an unreachable PSP fails the attempt with "no charge made", and the breaker then fails fast', async () => {
    const dead = await startFetchServer(() => new Response('x'));
    const deadUrl = dead.url;
    await dead.close(); // nothing listens there now: connection refused
    pointCardPspAt(deadUrl);
    try {
      const res = await api.post('/api/v1/payment_intents/pi_whatever/confirm', { payment_method: 'pm_card_visa' });
      expect(res.status).toBe(404); // unknown intent: nothing is sent anywhere
      const pi = (await api.post('/api/v1/payment_intents', { amount: 800, currency: 'usd' })).body;
      const first = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
      expect(first.status).toBe(502);
      expect(first.body.error.code).toBe('psp_unavailable');
      expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('requires_payment_method');
      const second = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
      expect(second.status).toBe(502);
      expect(await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id))).toHaveLength(0);
    } finally {
      pointCardPspAt(app.url);
    }
  });
});
