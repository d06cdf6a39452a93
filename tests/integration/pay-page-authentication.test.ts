import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPayPage } from '@/lib/checkout/pay-page';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';
import { createTestCheckoutSession } from '../helpers/factories';

/**
 * The pay page runs the 3-D Secure challenge in a frame of its own page; when the challenge says it
 * was answered, the page asks POST /api/pay/<cs>/authentication what became of the payment. The
 * answer comes from the card network (the attempt is resolved at the PSP), never from the frame.
 */

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  merchant = await createTestMerchant('Frame Shop');
  api = apiClient(app, merchant.secretKey);
});
afterAll(() => app.close());

let ipCounter = 10;
const freshIp = () => `198.51.100.${ipCounter++}`;

const newSession = () =>
  createTestCheckoutSession(api, {
    line_items: [{ name: 'Mug', quantity: 1, unit_amount: 1200 }],
    currency: 'usd',
    success_url: 'https://shop.example/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://shop.example/cart',
  });

async function post(path: string, body: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp(), 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function payNeedingChallenge(sessionId: string): Promise<string> {
  const token = await tokenizeCard(app, '4000002760003184', { merchantId: merchant.merchant.id });
  const res = await post(`/api/pay/${sessionId}/confirm`, { token, email: 'frame@example.test' });
  expect(res.body.status).toBe('requires_action');
  return new URL(res.body.redirect_url).pathname.split('/').pop()!;
}

async function answerChallenge(sandboxPaymentId: string, result: 'succeeded' | 'failed') {
  const res = await fetch(`${app.url}/api/sandbox/card/v1/payments/${sandboxPaymentId}/3ds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ result }),
  });
  expect(res.status).toBe(200);
}

const askAuthentication = (sessionId: string) => post(`/api/pay/${sessionId}/authentication`, {});

describe('POST /api/pay/<cs>/authentication', () => {
  it('while the challenge is unanswered: still requires_action, with the same challenge, and nothing moves', async () => {
    const cs = await newSession();
    const sandboxPaymentId = await payNeedingChallenge(cs.id);
    const res = await askAuthentication(cs.id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('requires_action');
    expect(new URL(res.body.redirect_url).pathname).toBe(`/sandbox/3ds/${sandboxPaymentId}`);
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('requires_action');
    expect((await loadPayPage(cs.id))?.pendingAuthenticationUrl).toContain(sandboxPaymentId);
  });

  it('a completed challenge: the network is asked, the payment succeeds, the page goes to the success URL; asking again changes nothing', async () => {
    const cs = await newSession();
    await answerChallenge(await payNeedingChallenge(cs.id), 'succeeded');
    const res = await askAuthentication(cs.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'succeeded', redirect_url: `https://shop.example/success?session_id=${cs.id}` });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('succeeded');
    expect((await askAuthentication(cs.id)).body.status).toBe('succeeded');
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a failed challenge: a typed authentication_failed error, the form can pay again with another card', async () => {
    const cs = await newSession();
    await answerChallenge(await payNeedingChallenge(cs.id), 'failed');
    const res = await askAuthentication(cs.id);
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ type: 'card_error', code: 'authentication_failed' });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('requires_payment_method');
    // the frame said nothing the server believed: a second question gives the same answer
    expect((await askAuthentication(cs.id)).body.error).toMatchObject({ code: 'authentication_failed' });

    const token = await tokenizeCard(app, '4242424242424242', { merchantId: merchant.merchant.id });
    expect((await post(`/api/pay/${cs.id}/confirm`, { token, email: 'frame@example.test' })).body.status).toBe('succeeded');
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a session without a payment attempt, or an unknown session, is a clear error', async () => {
    const cs = await newSession();
    const none = await askAuthentication(cs.id);
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('checkout_session_unexpected_state');
    const unknown = await askAuthentication('cs_doesnotexist0000000000');
    expect(unknown.status).toBe(404);
    const extra = await post(`/api/pay/${cs.id}/authentication`, { result: 'succeeded' });
    expect(extra.status).toBe(400);
  });
});
