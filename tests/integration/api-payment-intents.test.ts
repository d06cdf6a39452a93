import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, paymentAttempts, sandboxCardPayments } from '@/db/schema';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  api = apiClient(app, (await createTestMerchant()).secretKey);
});
afterAll(() => app.close());

const createPi = async (body: Record<string, unknown> = {}) => {
  const res = await api.post('/api/v1/payment_intents', { amount: 2000, currency: 'usd', ...body });
  expect(res.status).toBe(200);
  return res.body;
};

describe('POST /api/v1/payment_intents', () => {
  it('creates an intent in requires_payment_method with a pi_ id and an outbox event', async () => {
    const pi = await createPi({ metadata: { order: '42' }, capture_method: 'manual' });
    expect(pi).toMatchObject({
      object: 'payment_intent',
      amount: 2000,
      currency: 'usd',
      status: 'requires_payment_method',
      capture_method: 'manual',
      amount_received: 0,
      metadata: { order: '42' },
    });
    expect(pi.id).toMatch(/^pi_[0-9A-Za-z]{24}$/);
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id));
    expect(events.map((e) => e.type)).toEqual(['payment_intent.created']);
  });

  it('accepts upper-case currencies and zero-decimal ones', async () => {
    expect((await createPi({ currency: 'EUR' })).currency).toBe('eur');
    expect((await createPi({ currency: 'jpy', amount: 500 })).amount).toBe(500);
  });

  it.each([
    [{ amount: 0 }, 'amount_too_small', 'amount'],
    [{ amount: -100 }, 'amount_too_small', 'amount'],
    [{ amount: 10.5 }, 'parameter_invalid', 'amount'],
    [{ amount: 1e20 }, 'amount_too_large', 'amount'],
    [{ amount: 100_000_000 }, 'amount_too_large', 'amount'],
    [{ amount: '1000' }, 'parameter_invalid', 'amount'],
    [{ amount: undefined }, 'parameter_missing', 'amount'],
    [{ currency: 'xyz' }, 'currency_unsupported', 'currency'],
    [{ currency: 'dollars' }, 'parameter_invalid', 'currency'],
    [{ status: 'succeeded' }, 'parameter_unknown', 'status'],
    [{ amount_received: 2000 }, 'parameter_unknown', 'amount_received'],
    [{ merchant: 'mer_other' }, 'parameter_unknown', 'merchant'],
    [{ capture_method: 'sometimes' }, 'parameter_invalid', 'capture_method'],
    [{ metadata: { k: 5 } }, 'parameter_invalid', 'metadata.k'],
  ])('rejects %j with 400 %s', async (patch, code, param) => {
    const before = await getDb().select().from(outboxEvents);
    const res = await api.post('/api/v1/payment_intents', { amount: 2000, currency: 'usd', ...patch });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code, param });
    expect(res.body.error.message).toEqual(expect.any(String));
    // bad input changes nothing
    expect(await getDb().select().from(outboxEvents)).toHaveLength(before.length);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await api.post('/api/v1/payment_intents', '{"amount": 1', {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('body_invalid_json');
  });
});

describe('GET /api/v1/payment_intents', () => {
  it('pages newest first with limit and starting_after, and filters by status', async () => {
    const merchant = await createTestMerchant();
    const own = apiClient(app, merchant.secretKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await own.post('/api/v1/payment_intents', { amount: 100 + i, currency: 'usd' })).body.id);
    await own.post(`/api/v1/payment_intents/${ids[0]}/cancel`, {});
    const page1 = await own.get('/api/v1/payment_intents?limit=2');
    expect(page1.body).toMatchObject({ object: 'list', has_more: true });
    expect(page1.body.data.map((p: { id: string }) => p.id)).toEqual([ids[4], ids[3]]);
    const page2 = await own.get(`/api/v1/payment_intents?limit=2&starting_after=${ids[3]}`);
    expect(page2.body.data.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
    const page3 = await own.get(`/api/v1/payment_intents?limit=2&starting_after=${ids[1]}`);
    expect(page3.body.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);
    expect(page3.body.has_more).toBe(false);
    const canceled = await own.get('/api/v1/payment_intents?status=canceled');
    expect(canceled.body.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'status=paid', 'colour=blue'])('rejects ?%s', async (q) => {
    const res = await api.get(`/api/v1/payment_intents?${q}`);
    expect(res.status).toBe(400);
  });

  it('rejects a starting_after that is not one of the merchant’s intents', async () => {
    const res = await api.get('/api/v1/payment_intents?starting_after=pi_doesnotexist00000000000');
    expect(res.status).toBe(404);
  });
});

describe('confirm with test payment methods', () => {
  it('succeeds with pm_card_visa: one attempt, one sandbox payment, events in order', async () => {
    const pi = await createPi();
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: 'pm_card_visa',
      customer_ip: '198.51.100.1',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', amount_received: 2000, payment_method: expect.stringMatching(/^pm_/) });
    // Stripe's shape: payment_method is an id; the PaymentMethod holds the card as the network read it
    const pm = await api.get(`/v1/payment_methods/${res.body.payment_method}`);
    expect(pm.body).toMatchObject({ object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242' } });
    const attempts = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 'succeeded', riskDecision: 'allow', psp: 'sandbox_card' });
    const sandbox = await getDb()
      .select()
      .from(sandboxCardPayments)
      .where(eq(sandboxCardPayments.idempotencyKey, attempts[0]!.pspIdempotencyKey));
    expect(sandbox).toHaveLength(1);
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id)).orderBy(outboxEvents.seq);
    expect(events.map((e) => e.type)).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_chargeDeclinedLostCard', 'lost_card'],
    ['pm_card_chargeDeclinedStolenCard', 'stolen_card'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
  ])('%s is declined with 402 decline_code %s and the intent can be retried', async (pm, declineCode) => {
    const pi = await createPi();
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: pm });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: declineCode });
    const after = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body;
    expect(after.status).toBe('requires_payment_method');
    expect(after.last_payment_error).toMatchObject({ code: 'card_declined', decline_code: declineCode });
    const retry = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_mastercard' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'succeeded', last_payment_error: null });
    expect((await api.get(`/v1/payment_methods/${retry.body.payment_method}`)).body.card).toMatchObject({ brand: 'mastercard' });
  });

  it('blocks pm_card_radarBlock before it reaches the network', async () => {
    const pi = await createPi();
    const sandboxBefore = (await getDb().select().from(sandboxCardPayments)).length;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_radarBlock' });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ type: 'card_error', code: 'payment_blocked' });
    expect(res.body.error.message).toMatch(/highest risk/);
    expect(await getDb().select().from(sandboxCardPayments)).toHaveLength(sandboxBefore);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    expect(attempt).toMatchObject({ status: 'failed', riskDecision: 'block', riskReasons: ['highest_risk_card'] });
  });

  it('returns requires_action with a redirect for pm_card_threeDSecure2Required', async () => {
    const pi = await createPi();
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/return',
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('requires_action');
    expect(res.body.next_action).toMatchObject({
      type: 'redirect_to_url',
      redirect_to_url: { url: expect.stringContaining('/sandbox/3ds/') },
    });
    expect(res.body.next_action.redirect_to_url.return_url).toMatch(/^https:\/\/shop\.example\/return\?payment_attempt=pa_/);
    // a second confirm while the customer authenticates is refused
    const again = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('payment_intent_unexpected_state');
  });

  it('rejects an unknown payment method with 400 and records nothing', async () => {
    const pi = await createPi();
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_unknown' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('payment_method_invalid');
    expect(await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id))).toHaveLength(0);
  });
});

describe('manual capture and cancel', () => {
  it('holds the authorization, then captures part of it', async () => {
    const pi = await createPi({ capture_method: 'manual' });
    const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(confirmed.body).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
    const tooMuch = await api.post(`/api/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 2001 });
    expect(tooMuch.status).toBe(400);
    const captured = await api.post(`/api/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 1500 });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ status: 'succeeded', amount_received: 1500, amount_capturable: 0 });
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    const [atPsp] = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.id, attempt!.pspReference!));
    expect(atPsp).toMatchObject({ status: 'captured', amountCaptured: 1500 });
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id)).orderBy(outboxEvents.seq);
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.amount_capturable_updated',
      'payment_intent.succeeded',
    ]);
  });

  it('cancel releases a held authorization at the network', async () => {
    const pi = await createPi({ capture_method: 'manual' });
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: 'requested_by_customer' });
    expect(res.body).toMatchObject({ status: 'canceled', amount_capturable: 0, cancellation_reason: 'requested_by_customer' });
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    const [atPsp] = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.id, attempt!.pspReference!));
    expect(atPsp?.status).toBe('canceled');
  });

  it('rejects capture without an authorization, and an unknown cancellation reason', async () => {
    const pi = await createPi();
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/capture`, {})).body.error.code).toBe(
      'payment_intent_unexpected_state',
    );
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: 'bored' })).status).toBe(400);
  });
});

describe('concurrent captures', () => {
  it('of 10 parallel captures of one authorization, one takes effect: captured once at the network', async () => {
    const pi = await createPi({ capture_method: 'manual' });
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.post(`/api/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 1_000 + i }),
      ),
    );
    const after = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body;
    expect(after.status).toBe('succeeded');
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body.amount_received).toBe(after.amount_received);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    const [atPsp] = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.id, attempt!.pspReference!));
    expect(atPsp).toMatchObject({ status: 'captured', amountCaptured: after.amount_received });
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id));
    expect(events.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
  });
});
