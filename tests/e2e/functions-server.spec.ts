import { FUNCTIONS_URL } from '../../playwright.config';
import { DemoApi } from './demo-api';
import { expect, test } from './fixtures';

// `npm start` runs a second Next process beside the API server for the embedded engine's calls
// (scripts/lib/processes.ts). It is the same build, so without a guard it would serve the whole
// app on its port; it answers only the engine's route.

test.describe('the functions server', () => {
  test('answers the engine on /api/inngest and nothing else; the API server takes the payment', async ({ request }) => {
    const api = new DemoApi(request);
    const pi = await api.post<{ id: string; status: string }>('/api/v1/payment_intents', {
      amount: 1_200,
      currency: 'usd',
      confirm: true,
      payment_method: 'pm_card_visa',
    });
    expect(pi.status).toBe('succeeded');

    // the Inngest serve route the engine calls: the SDK itself answers (it refuses a request
    // without the engine's signature, as it does on the API server), not the guard
    const serve = await request.get(`${FUNCTIONS_URL}/api/inngest`);
    expect(serve.status()).toBe(401);
    expect(await serve.text()).not.toContain('serves only');
    expect((await request.get('/api/inngest')).status()).toBe(401);

    // the same request with the merchant's key, on the functions server's port: refused
    const onApiServer = await request.get(`/api/v1/payment_intents/${pi.id}`, { headers: await api.authHeaders() });
    expect(onApiServer.status()).toBe(200);
    const onFunctionsServer = await request.get(`${FUNCTIONS_URL}/api/v1/payment_intents/${pi.id}`, { headers: await api.authHeaders() });
    expect(onFunctionsServer.status()).toBe(404);
    expect(await onFunctionsServer.text()).toContain('serves only /api/inngest');

    for (const path of ['/', '/dashboard', '/store', '/login', `/pay/cs_x`, '/api/inngest/extra']) {
      const res = await request.get(`${FUNCTIONS_URL}${path}`, { maxRedirects: 0 });
      expect(res.status(), path).toBe(404);
      expect(await res.text(), path).toContain('serves only /api/inngest');
    }
    const callback = await request.post(`${FUNCTIONS_URL}/api/psp/sandbox/callback`, { data: {} });
    expect(callback.status()).toBe(404);
    expect(await callback.text()).toContain('serves only /api/inngest');
  });
});
