import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { checkoutSessions, outboxEvents, paymentAttempts, sandboxCardPayments } from '@/db/schema';
import { loadPayPage } from '@/lib/checkout/pay-page';
import { newId } from '@/lib/ids';
import { addBlocklistEntry, saveRiskSettings, DEFAULT_RISK_SETTINGS } from '@/lib/risk';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';
import { createTestCheckoutSession } from '@/tests/helpers/factories';

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  merchant = await createTestMerchant('Corner Shop');
  api = apiClient(app, merchant.secretKey);
});
afterAll(() => app.close());

const sessionBody = {
  line_items: [
    { name: 'Mug', quantity: 2, unit_amount: 1200 },
    { name: 'Stickers', quantity: 1, unit_amount: 300 },
  ],
  currency: 'usd',
  success_url: 'https://shop.example/success?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'https://shop.example/cart',
};

const newSession = (body: Record<string, unknown> = {}) => createTestCheckoutSession(api, { ...sessionBody, ...body });

let ipCounter = 10;
const freshIp = () => `203.0.113.${ipCounter++}`;

async function pay(sessionId: string, number: string, options: { ip?: string; email?: string; key?: string } = {}) {
  const token = await tokenizeCard(app, number, { merchantId: merchant.merchant.id });
  const res = await fetch(`${app.url}/api/pay/${sessionId}/confirm`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': options.ip ?? freshIp(),
      'idempotency-key': options.key ?? crypto.randomUUID(),
    },
    body: JSON.stringify({ token, email: options.email ?? `buyer-${crypto.randomUUID()}@example.test` }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('POST /api/v1/checkout/sessions', () => {
  it('creates an open session with its payment intent, totals the line items, and links to the pay page', async () => {
    const cs = await newSession({ customer_email: 'Buyer@Example.test', metadata: { order_ref: 'A1' } });
    expect(cs).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 2700,
      currency: 'usd',
      customer_email: 'buyer@example.test',
      metadata: { order_ref: 'A1' },
    });
    expect(cs.id).toMatch(/^cs_/);
    expect(cs.payment_intent).toMatch(/^pi_/);
    expect(cs.url).toBe(`${app.url}/pay/${cs.id}`);
    expect(cs.expires_at - cs.created).toBe(24 * 3600);
    const pi = await api.get(`/api/v1/payment_intents/${cs.payment_intent}`);
    expect(pi.body).toMatchObject({ amount: 2700, status: 'requires_payment_method', checkout_session: cs.id });
    expect((await api.get(`/api/v1/checkout/sessions/${cs.id}`)).body).toEqual(cs);
  });

  it.each([
    [{ amount: 500, line_items: sessionBody.line_items }, 'parameter_invalid'],
    [{ line_items: [] }, 'parameter_invalid'],
    [{ line_items: [{ name: 'x', quantity: 0, unit_amount: 100 }] }, 'parameter_invalid'],
    [{ line_items: [{ name: 'x', quantity: 1, unit_amount: -1 }] }, 'amount_too_small'],
    [{ line_items: [{ name: 'x', quantity: 999, unit_amount: 99_999_999 }] }, 'amount_too_large'],
    [{ line_items: [{ name: 'x', quantity: 1, unit_amount: 100, tax: 1 }] }, 'parameter_unknown'],
    // `price` names a catalogue Price (Stripe's shape): a number is not one
    [{ line_items: [{ quantity: 1, price: 1 }] }, 'parameter_invalid'],
    [{ line_items: [{ name: 'x', quantity: 1, unit_amount: 100, price: 'price_12345678' }] }, 'parameter_invalid'],
    [{ success_url: 'javascript:alert(1)' }, 'parameter_invalid'],
    [{ cancel_url: undefined }, 'parameter_missing'],
    [{ currency: 'zzz' }, 'currency_unsupported'],
    [{ status: 'complete' }, 'parameter_unknown'],
  ])('rejects %j', async (patch, code) => {
    const res = await api.post('/api/v1/checkout/sessions', { ...sessionBody, ...patch });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });
});

describe('hosted pay page flow', () => {
  it('pays with 4242 4242 4242 4242: session complete, redirect to the success URL with the session id', async () => {
    const cs = await newSession();
    const res = await pay(cs.id, '4242424242424242');
    expect(res).toEqual({ status: 200, body: { status: 'succeeded', redirect_url: `https://shop.example/success?session_id=${cs.id}` } });
    const after = (await api.get(`/api/v1/checkout/sessions/${cs.id}`)).body;
    expect(after).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    const view = await loadPayPage(cs.id);
    expect(view).toMatchObject({ status: 'complete', paymentStatus: 'succeeded', merchantName: 'Corner Shop', card: { brand: 'visa', last4: '4242' } });
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, cs.id));
    expect(events.map((e) => e.type)).toEqual(['checkout.session.completed']);
    await assertPaymentInvariants(cs.payment_intent);
    // paying again is refused
    expect((await pay(cs.id, '4242424242424242')).body.error.code).toBe('checkout_session_unexpected_state');
  });

  it('shows a decline, then accepts another card', async () => {
    const cs = await newSession();
    const declined = await pay(cs.id, '4000000000000002');
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    expect(await loadPayPage(cs.id)).toMatchObject({ status: 'open', lastError: { code: 'card_declined', message: 'Your card was declined.' } });
    const ok = await pay(cs.id, '4242424242424242');
    expect(ok.body.status).toBe('succeeded');
    expect((await loadPayPage(cs.id))?.lastError).toBeNull();
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('insufficient funds reads as such to the customer', async () => {
    const cs = await newSession();
    const res = await pay(cs.id, '4000000000009995');
    expect(res.body.error).toMatchObject({ decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
  });

  it('3-D Secure: challenge, complete, come back through the return URL, paid', async () => {
    const cs = await newSession();
    const res = await pay(cs.id, '4000002760003184');
    expect(res.body.status).toBe('requires_action');
    const challengeUrl = new URL(res.body.redirect_url);
    expect(challengeUrl.pathname).toMatch(/^\/sandbox\/3ds\//);
    const sandboxPaymentId = challengeUrl.pathname.split('/').pop()!;
    // the customer's browser completes the challenge at the issuer...
    const done = await fetch(`${app.url}/api/sandbox/card/v1/payments/${sandboxPaymentId}/3ds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'succeeded' }),
    });
    expect(done.status).toBe(200);
    // ...and is sent back to our return URL, which asks the network what happened
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    const back = await fetch(`${app.url}/pay/${cs.id}/return?payment_attempt=${attempt!.id}&sandbox_payment=${sandboxPaymentId}`, { redirect: 'manual' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`https://shop.example/success?session_id=${cs.id}`);
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('succeeded');
    // a second return (reload) changes nothing
    await fetch(`${app.url}/pay/${cs.id}/return?payment_attempt=${attempt!.id}`, { redirect: 'manual' });
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('3-D Secure failed: back on the pay page with an authentication error, can retry', async () => {
    const cs = await newSession();
    const res = await pay(cs.id, '4000002760003184');
    const sandboxPaymentId = new URL(res.body.redirect_url).pathname.split('/').pop()!;
    await fetch(`${app.url}/api/sandbox/card/v1/payments/${sandboxPaymentId}/3ds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'failed' }),
    });
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    const back = await fetch(`${app.url}/pay/${cs.id}/return?payment_attempt=${attempt!.id}`, { redirect: 'manual' });
    expect(back.headers.get('location')).toBe(`${app.url}/pay/${cs.id}`);
    expect((await loadPayPage(cs.id))?.lastError).toMatchObject({ code: 'authentication_failed' });
    expect((await pay(cs.id, '4242424242424242')).body.status).toBe('succeeded');
  });

  it('a return URL cannot claim success: the network is asked', async () => {
    const cs = await newSession();
    const res = await pay(cs.id, '4000002760003184');
    expect(res.body.status).toBe('requires_action');
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    const back = await fetch(`${app.url}/pay/${cs.id}/return?payment_attempt=${attempt!.id}`, { redirect: 'manual' });
    expect(back.headers.get('location')).toBe(`${app.url}/pay/${cs.id}`);
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('requires_action');
  });

  it('a double submit with the same Idempotency-Key charges once', async () => {
    const cs = await newSession();
    const token = await tokenizeCard(app, '4242424242424242', { merchantId: merchant.merchant.id });
    const send = () =>
      fetch(`${app.url}/api/pay/${cs.id}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'click-1', 'x-forwarded-for': freshIp() },
        body: JSON.stringify({ token, email: 'double@example.test' }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const [a, b] = await Promise.all([send(), send()]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([200, 409]).toContain(statuses[1]);
    const attempts = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    expect(attempts).toHaveLength(1);
    const charged = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.idempotencyKey, attempts[0]!.pspIdempotencyKey));
    expect(charged).toHaveLength(1);
  });

  it('refuses an expired session and an unknown one', async () => {
    const cs = await newSession();
    await getDb().update(checkoutSessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(checkoutSessions.id, cs.id));
    const res = await pay(cs.id, '4242424242424242');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/expired/);
    expect((await loadPayPage(cs.id))?.status).toBe('expired');
    expect(await loadPayPage('cs_doesnotexist000000000000')).toBeNull();
    expect((await pay('cs_doesnotexist000000000000', '4242424242424242')).status).toBe(404);
  });

  it('rejects unknown fields and bad emails from the pay page', async () => {
    const cs = await newSession();
    const res = await fetch(`${app.url}/api/pay/${cs.id}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'tok_x', email: 'not-an-email' }),
    });
    expect(res.status).toBe(400);
    const res2 = await fetch(`${app.url}/api/pay/${cs.id}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'tok_x', email: 'a@b.test', number: '4242424242424242' }),
    });
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as any).error.code).toBe('parameter_unknown');
  });
});

describe('risk checks on the pay page', () => {
  it('blocks the sixth retry from one IP in a day (successful payments do not count), before the card network', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 7; i++) {
      const cs = await newSession();
      // two sales and five declines: only the declines count against the limit
      const res = await pay(cs.id, i < 2 ? '4242424242424242' : '4000000000000002', { ip });
      expect(res.body.error?.code).not.toBe('payment_blocked');
    }
    const cs = await newSession();
    const networkBefore = (await getDb().select().from(sandboxCardPayments)).length;
    const blocked = await pay(cs.id, '4242424242424242', { ip });
    expect(blocked.status).toBe(402);
    expect(blocked.body.error).toMatchObject({ type: 'card_error', code: 'payment_blocked' });
    expect(blocked.body.error.message).toMatch(/Too many payment attempts from this IP address/);
    expect(await getDb().select().from(sandboxCardPayments)).toHaveLength(networkBefore);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    expect(attempt).toMatchObject({ riskDecision: 'block', riskReasons: ['too_many_attempts_ip'], customerIp: ip });
    // another IP still pays
    expect((await pay(cs.id, '4242424242424242', { ip: '198.51.100.78' })).body.status).toBe('succeeded');
  });

  it('blocks the highest-risk test card (4100 0000 0000 0019)', async () => {
    const cs = await newSession();
    const res = await pay(cs.id, '4100000000000019');
    expect(res.body.error.code).toBe('payment_blocked');
  });

  it('blocks blocklisted emails and card fingerprints', async () => {
    await addBlocklistEntry(getDb(), { id: newId('blocklistEntry'), merchantId: merchant.merchant.id, kind: 'email', value: 'Fraud@Example.test' });
    const cs = await newSession();
    const res = await pay(cs.id, '4242424242424242', { email: 'fraud@example.test' });
    expect(res.body.error.code).toBe('payment_blocked');
    expect(res.body.error.message).toMatch(/email address is on the merchant/);
  });

  it('blocks amounts over the merchant ceiling and flags near-ceiling ones for review', async () => {
    await saveRiskSettings(getDb(), merchant.merchant.id, { ...DEFAULT_RISK_SETTINGS, maxAttemptsPerCardPerDay: 1000, amountCeilings: { usd: 5000 } });
    try {
      const over = await newSession({ line_items: [{ name: 'TV', quantity: 1, unit_amount: 6000 }] });
      expect((await pay(over.id, '4242424242424242')).body.error.code).toBe('payment_blocked');
      const near = await newSession({ line_items: [{ name: 'Radio', quantity: 1, unit_amount: 4500 }] });
      expect((await pay(near.id, '4242424242424242')).body.status).toBe('succeeded');
      const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, near.payment_intent));
      expect(attempt).toMatchObject({ riskDecision: 'review', riskReasons: ['high_amount'] });
    } finally {
      await saveRiskSettings(getDb(), merchant.merchant.id, DEFAULT_RISK_SETTINGS);
    }
  });
});

describe('a session pays only with the methods it offers (payment_method_types)', () => {
  it('refuses a card on an M-Pesa-only session and M-Pesa on a card-only one, recording no attempt', async () => {
    const mpesaOnly = await newSession({ currency: 'kes', line_items: [{ name: 'Chai', quantity: 1, unit_amount: 10000 }], payment_method_types: ['mpesa'] });
    const card = await pay(mpesaOnly.id, '4242424242424242');
    expect(card.status).toBe(400);
    expect(card.body.error.code).toBe('payment_method_invalid');
    expect((await loadPayPage(mpesaOnly.id))!.paymentMethodTypes).toEqual(['mpesa']);

    const cardOnly = await newSession({ currency: 'kes', line_items: [{ name: 'Chai', quantity: 1, unit_amount: 10000 }], payment_method_types: ['card'] });
    const res = await fetch(`${app.url}/api/pay/${cardOnly.id}/mpesa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID(), 'x-forwarded-for': freshIp() },
      body: JSON.stringify({ phone: '254708374149' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('payment_method_invalid');
    for (const id of [mpesaOnly.payment_intent, cardOnly.payment_intent]) {
      expect(await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, id))).toEqual([]);
    }
    // a KES session that names no types offers both
    expect((await newSession({ currency: 'kes', line_items: [{ name: 'Chai', quantity: 1, unit_amount: 10000 }] })).payment_method_types).toEqual(['card', 'mpesa']);
  });
});
