import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { merchantSettings, paymentDisputes, pspInbox, refunds } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { processInboxMessage } from '@/lib/inbox/process';
import { resetCardPsp } from '@/lib/psp';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { attemptOf, createTestPaymentIntent } from '@/tests/helpers/factories';

const ENV_KEYS = ['STRIPE_SECRET_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET', 'PSP_RETRY_BASE_MS'] as const;

let app: TestApp;
let fake: FakeStripe;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  fake = await startFakeStripe();
  Object.assign(process.env, {
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_API_BASE: fake.url,
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    PSP_RETRY_BASE_MS: '20',
  });
  app = await startTestApp();
  const merchant = await createTestMerchant();
  // this merchant routes cards to Stripe first
  await getDb()
    .insert(merchantSettings)
    .values({ merchantId: merchant.merchant.id, pspRouting: { card: ['stripe', 'sandbox_card'], mpesa: ['daraja'] } });
  api = apiClient(app, merchant.secretKey);
});
afterAll(async () => {
  for (const k of ENV_KEYS) delete process.env[k];
  resetEnvCache();
  resetCardPsp();
  await app?.close();
  await fake?.close();
});

async function newIntent(amount: number, captureMethod: 'automatic' | 'manual' = 'automatic'): Promise<{ id: string }> {
  return createTestPaymentIntent(api, { amount, capture_method: captureMethod });
}

/** Posts a signed webhook to our route and applies it as the engine would. */
async function deliver(webhook: { body: string; headers: Record<string, string> }) {
  const res = await fetch(`${app.url}/api/psp/stripe/webhook`, { method: 'POST', headers: webhook.headers, body: webhook.body });
  const body = await res.json();
  if (res.status !== 200) return { status: res.status, body, outcome: undefined };
  const eventId = (JSON.parse(webhook.body) as { id: string }).id;
  const [row] = await getDb()
    .select()
    .from(pspInbox)
    .where(and(eq(pspInbox.psp, 'stripe'), eq(pspInbox.pspEventId, eventId)));
  const processed = await processInboxMessage(row!.id);
  return { status: res.status, body, outcome: processed.outcome };
}

describe('card payments through Stripe (the real SDK against a local fake)', () => {
  it('confirms with automatic capture, sending our idempotency key to Stripe', async () => {
    const pi = await newIntent(2_000);
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', amount_received: 2_000 });
    const attempt = await attemptOf(pi.id);
    expect(attempt).toMatchObject({
      psp: 'stripe',
      status: 'succeeded',
      card: expect.objectContaining({ brand: 'visa', last4: '4242' }),
    });
    expect(attempt.routingReason).toMatch(/routed to stripe/);
    const atStripe = fake.paymentIntents.get(attempt.pspReference!);
    expect(atStripe).toMatchObject({ status: 'succeeded', amount: 2_000, capture_method: 'automatic' });
    const create = fake.requests.filter(
      (r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.idempotencyKey === attempt.pspIdempotencyKey,
    );
    expect(create).toHaveLength(1);
    await assertPaymentInvariants(pi.id);
  });

  it('holds with manual capture, then captures part (keyed) and cancels another at Stripe', async () => {
    const pi = await newIntent(3_000, 'manual');
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })).body.status).toBe(
      'requires_capture',
    );
    const captured = await api.post(`/api/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 2_500 });
    expect(captured.body).toMatchObject({ status: 'succeeded', amount_received: 2_500 });
    const attempt = await attemptOf(pi.id);
    expect(fake.paymentIntents.get(attempt.pspReference!)).toMatchObject({ status: 'succeeded', amount_received: 2_500 });
    expect(fake.requests.some((r) => r.path.endsWith('/capture') && r.idempotencyKey === `${attempt.id}:capture`)).toBe(true);

    const other = await newIntent(1_000, 'manual');
    await api.post(`/api/v1/payment_intents/${other.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect((await api.post(`/api/v1/payment_intents/${other.id}/cancel`, {})).body.status).toBe('canceled');
    expect(fake.paymentIntents.get((await attemptOf(other.id)).pspReference!)?.status).toBe('canceled');
    await assertPaymentInvariants(pi.id);
    await assertPaymentInvariants(other.id);
  });

  it('maps a card decline to a 402 with the decline code', async () => {
    const pi = await newIntent(1_500);
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_chargeDeclined' });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
    const attempt = await attemptOf(pi.id);
    expect(attempt).toMatchObject({ psp: 'stripe', status: 'failed', declineCode: 'generic_decline' });
    expect(attempt.pspReference).toMatch(/^pi_/);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('requires_payment_method');
  });

  it('sends the customer to 3-D Secure and applies the outcome from the webhook once, whatever the order', async () => {
    const pi = await newIntent(4_000);
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/back',
    });
    expect(res.body.status).toBe('requires_action');
    const attempt = await attemptOf(pi.id);
    expect(res.body.next_action.redirect_to_url.url).toBe(`${fake.url}/3ds/${attempt.pspReference}`);
    const requiresAction = fake.webhook('payment_intent.requires_action', { ...fake.paymentIntents.get(attempt.pspReference!)! });

    const succeeded = fake.webhook('payment_intent.succeeded', { ...fake.completeThreeDS(attempt.pspReference!, true) });
    expect((await deliver(succeeded)).outcome).toBe('apply');
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: 'succeeded',
      amount_received: 4_000,
    });

    // the same event again: stored once, no second effect
    const again = await deliver(succeeded);
    expect(again.body).toMatchObject({ received: true, duplicate: true });
    expect(again.outcome).toBe('already_processed');
    // an older event arriving late never moves the payment back
    expect((await deliver(requiresAction)).outcome).toBe('stale');
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('succeeded');
    const rows = await getDb().select().from(pspInbox).where(eq(pspInbox.rawBody, succeeded.body));
    expect(rows).toHaveLength(1);
    await assertPaymentInvariants(pi.id);
  });

  it('fails a payment whose 3-D Secure failed (payment_intent.payment_failed)', async () => {
    const pi = await newIntent(4_100);
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/back',
    });
    const attempt = await attemptOf(pi.id);
    const failed = fake.webhook('payment_intent.payment_failed', { ...fake.completeThreeDS(attempt.pspReference!, false) });
    expect((await deliver(failed)).outcome).toBe('apply');
    expect(await attemptOf(pi.id)).toMatchObject({ status: 'failed', failureCode: 'authentication_failed' });
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('requires_payment_method');
  });

  it('refunds at Stripe with our key; a later charge.refunded changes nothing', async () => {
    const pi = await newIntent(10_000);
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    const res = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 4_000 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', amount: 4_000 });
    const [row] = await getDb().select().from(refunds).where(eq(refunds.id, res.body.id));
    expect(row).toMatchObject({ psp: 'stripe', pspReference: expect.stringMatching(/^re_/) });
    const atStripe = fake.refunds.get(row!.pspReference!);
    expect(atStripe).toMatchObject({ amount: 4_000, status: 'succeeded' });
    expect(fake.requests.some((r) => r.path === '/v1/refunds' && r.idempotencyKey === row!.pspIdempotencyKey)).toBe(true);
    const attempt = await attemptOf(pi.id);
    const charge = { id: 'ch_x', object: 'charge', payment_intent: attempt.pspReference, refunds: { data: [atStripe] } };
    expect((await deliver(fake.webhook('charge.refunded', charge))).outcome).toBe('stale');
    await assertPaymentInvariants(pi.id);
  });

  it('completes a refund Stripe left pending when charge.refunded arrives, once', async () => {
    const pi = await newIntent(8_000);
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    fake.refundStatus = 'pending';
    const res = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 3_000 });
    fake.refundStatus = 'succeeded';
    expect(res.body.status).toBe('pending');
    const [row] = await getDb().select().from(refunds).where(eq(refunds.id, res.body.id));
    const atStripe = fake.refunds.get(row!.pspReference!)!;
    atStripe.status = 'succeeded';
    const attempt = await attemptOf(pi.id);
    const refunded = fake.webhook('charge.refunded', {
      id: 'ch_y',
      object: 'charge',
      payment_intent: attempt.pspReference,
      refunds: { data: [{ ...atStripe }] },
    });
    expect((await deliver(refunded)).outcome).toBe('apply');
    expect((await api.get(`/api/v1/refunds/${res.body.id}`)).body.status).toBe('succeeded');
    // a redelivery with a new event id still applies nothing twice
    const redelivered = fake.webhook('charge.refunded', {
      id: 'ch_y',
      object: 'charge',
      payment_intent: attempt.pspReference,
      refunds: { data: [{ ...atStripe }] },
    });
    expect((await deliver(redelivered)).outcome).toBe('stale');
    await assertPaymentInvariants(pi.id);
  });

  it('records a dispute once', async () => {
    const pi = await newIntent(5_000);
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    const attempt = await attemptOf(pi.id);
    const dispute = {
      id: 'dp_test_1',
      object: 'dispute',
      amount: 5_000,
      currency: 'usd',
      reason: 'fraudulent',
      status: 'needs_response',
      payment_intent: attempt.pspReference,
    };
    expect((await deliver(fake.webhook('charge.dispute.created', dispute))).outcome).toBe('recorded');
    expect((await deliver(fake.webhook('charge.dispute.created', dispute))).outcome).toBe('stale');
    const rows = await getDb().select().from(paymentDisputes).where(eq(paymentDisputes.paymentIntentId, pi.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason: 'fraudulent', amount: 5_000, pspDisputeId: 'dp_test_1' });
    // the payment shows the dispute
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.disputes).toEqual([
      expect.objectContaining({ amount: 5_000, currency: 'usd', reason: 'fraudulent', status: 'needs_response' }),
    ]);
  });

  it('answers 400 to a bad or missing signature and stores nothing', async () => {
    const pi = await newIntent(4_200);
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/back',
    });
    const attempt = await attemptOf(pi.id);
    const forged = fake.webhook(
      'payment_intent.succeeded',
      { ...fake.completeThreeDS(attempt.pspReference!, true) },
      { secret: 'whsec_not_the_right_one' },
    );
    const eventId = (JSON.parse(forged.body) as { id: string }).id;
    expect((await deliver(forged)).status).toBe(400);
    const good = fake.webhook('payment_intent.succeeded', { ...fake.paymentIntents.get(attempt.pspReference!)! });
    const tampered = { body: good.body.replace('"amount":4200', '"amount":1'), headers: good.headers };
    expect((await deliver(tampered)).status).toBe(400);
    const unsigned = { body: good.body, headers: { 'content-type': 'application/json' } };
    expect((await deliver(unsigned)).status).toBe(400);
    const stored = await getDb()
      .select()
      .from(pspInbox)
      .where(and(eq(pspInbox.psp, 'stripe'), eq(pspInbox.pspEventId, eventId)));
    expect(stored).toHaveLength(0);
    expect(await getDb().select().from(pspInbox).where(eq(pspInbox.rawBody, tampered.body))).toHaveLength(0);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('requires_action');
  });
});
