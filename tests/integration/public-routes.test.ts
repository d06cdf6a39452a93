import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The pay-page and PSP-callback routes share the merchant API's frame (lib/http/public-routes.ts):
 * one request-id format on every answer, typed errors, bounded bodies.
 */

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('pay-page and PSP-callback routes', () => {
  it('answer with one request-id format, like the merchant API, on success and on refusal', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const answers = [
      (await api.get('/api/v1/payment_intents')).headers,
      (await post('/api/pay/cs_doesnotexist/confirm', JSON.stringify({ token: 'tok_x' }))).headers,
      (await post('/api/pay/cs_doesnotexist/mpesa', JSON.stringify({ phone: '0712345678' }))).headers,
      (await fetch(`${app.url}/api/pay/cs_doesnotexist/mpesa`)).headers,
      (await post('/api/psp/sandbox/callback', '{}')).headers,
      (await post('/api/psp/stripe/webhook', '{}')).headers,
      (await post('/api/psp/mpesa/callback/not-the-token-0000', '{}')).headers,
    ];
    for (const headers of answers) expect(headers.get('request-id')).toMatch(REQUEST_ID);
  });

  it('refuse a pay-page body that is not JSON or lacks a field, naming the param, before touching the session', async () => {
    const notJson = await post('/api/pay/cs_doesnotexist/confirm', 'token=tok_x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('body_invalid_json');
    const missing = await post('/api/pay/cs_doesnotexist/confirm', JSON.stringify({}));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: unknown }).error).toMatchObject({ code: 'parameter_missing', param: 'token' });
  });

  it('read a callback body only up to its bound (1 MiB), with a typed 400 past it', async () => {
    const big = await post('/api/psp/stripe/webhook', JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 1) }));
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'parameter_invalid',
      message: expect.stringContaining('too large'),
    });
  });
});
