import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { apiKeys } from '@/db/schema';
import { hashSecretKey } from '@/lib/auth/api-keys';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

describe('API authentication', () => {
  it('rejects a request without a key with 401 authentication_error', async () => {
    const res = await apiClient(app, null).get('/api/v1/payment_intents');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ type: 'authentication_error', code: 'api_key_missing' });
  });

  it('rejects a malformed key', async () => {
    const res = await apiClient(app, null).get('/api/v1/payment_intents', { authorization: 'Basic abc' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('api_key_invalid');
  });

  it('rejects a well-formed key that does not exist, without echoing it whole', async () => {
    const fake = 'sk_test_' + 'x'.repeat(32);
    const res = await apiClient(app, fake).get('/api/v1/payment_intents');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('api_key_invalid');
    expect(JSON.stringify(res.body)).not.toContain(fake);
  });

  it('rejects a revoked key', async () => {
    const m = await createTestMerchant();
    await getDb().update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.keyHash, hashSecretKey(m.secretKey)));
    const res = await apiClient(app, m.secretKey).get('/api/v1/payment_intents');
    expect(res.status).toBe(401);
  });

  it('stores keys only as hashes', async () => {
    const m = await createTestMerchant();
    const rows = await getDb().select().from(apiKeys).where(eq(apiKeys.merchantId, m.merchant.id));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(m.secretKey);
    expect(rows[0]?.keyHash).toBe(hashSecretKey(m.secretKey));
  });

  it("hides another merchant's objects as 404, on every route", async () => {
    const a = await createTestMerchant('A');
    const b = await createTestMerchant('B');
    const apiA = apiClient(app, a.secretKey);
    const apiB = apiClient(app, b.secretKey);
    const pi = await apiA.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' });
    const cs = await apiA.post('/api/v1/checkout/sessions', {
      amount: 500,
      currency: 'usd',
      success_url: 'https://shop.example/ok',
      cancel_url: 'https://shop.example/cancel',
    });
    expect(pi.status).toBe(200);
    expect(cs.status).toBe(200);
    for (const res of [
      await apiB.get(`/api/v1/payment_intents/${pi.body.id}`),
      await apiB.post(`/api/v1/payment_intents/${pi.body.id}/confirm`, { payment_method: 'pm_card_visa' }),
      await apiB.post(`/api/v1/payment_intents/${pi.body.id}/cancel`, {}),
      await apiB.post(`/api/v1/payment_intents/${pi.body.id}/capture`, {}),
      await apiB.get(`/api/v1/checkout/sessions/${cs.body.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('resource_missing');
    }
    const listB = await apiB.get('/api/v1/payment_intents');
    expect(listB.body.data).toEqual([]);
    // and A's payment is untouched
    expect((await apiA.get(`/api/v1/payment_intents/${pi.body.id}`)).body.status).toBe('requires_payment_method');
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const m = await createTestMerchant();
    const res = await apiClient(app, m.secretKey).get('/api/v1/charges_that_do_not_exist');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('route_not_found');
  });
});
