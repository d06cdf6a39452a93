import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { journalTransactions, merchantSettings, outboxEvents, paymentAttempts, paymentIntents, pspInbox, refunds, sandboxCardRefunds } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { inngest } from '@/inngest/client';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { resetEnvCache } from '@/lib/env';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { processInboxMessage } from '@/lib/inbox/process';
import { failOpenAttempt } from '@/lib/payments/apply-psp-result';
import { resetCardPsp } from '@/lib/psp';
import { sandboxCallbackSecret } from '@/lib/psp/sandbox-callbacks';
import { setSandboxCallbackFaults, signCallback } from '@/sandbox/card/callbacks';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe';
import { startFetchServer } from '../helpers/fetch-server';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { attemptOf } from '@/tests/helpers/factories';

/**
 * Attack: someone who can sign a card callback (the install's own secret, leaked or derived)
 * claims that a payment was captured. A callback is only a hint: what gets applied is what the
 * PSP answers when asked (sandbox GET /payments/:id, Stripe GET /v1/payment_intents/:id), so
 * the claim alone never marks a payment paid or credits the merchant.
 */

const STRIPE_ENV = ['STRIPE_SECRET_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET', 'PSP_RETRY_BASE_MS'] as const;

let app: TestApp;
let h: Harness;
let fake: FakeStripe;

beforeAll(async () => {
  fake = await startFakeStripe();
  Object.assign(process.env, { STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: fake.url, STRIPE_WEBHOOK_SECRET: fake.webhookSecret, PSP_RETRY_BASE_MS: '20' });
  app = await startTestApp();
  h = await startHarness((client) => defineFunctions(client));
  inngest.setEnvVars({ INNGEST_BASE_URL: h.engine.url, INNGEST_EVENT_KEY: h.eventKey });
  // the sandbox's own callbacks would race the forged ones; this file sends every callback itself
  setSandboxCallbackFaults({ drop: true });
});
afterAll(async () => {
  setSandboxCallbackFaults(null);
  for (const k of STRIPE_ENV) delete process.env[k];
  resetEnvCache();
  resetCardPsp();
  await h?.close();
  await app?.close();
  await fake?.close();
});

const relay = () => relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined));

/** Drives the outbox relay and the engine (ledger postings, webhooks) until nothing is left. */
async function drainEverything(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await relay();
    await h.engine.drain();
  }
}

type Api = ReturnType<typeof apiClient>;

async function threeDSecureIntent(api: Api, amount: number) {
  const pi = (await api.post('/api/v1/payment_intents', { amount, currency: 'eur' })).body as { id: string };
  const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
    payment_method: 'pm_card_threeDSecure2Required',
    return_url: 'https://shop.example/return',
  });
  expect(confirmed.body.status).toBe('requires_action');
  const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
  return { id: pi.id, pspReference: attempt!.pspReference! };
}

/** The payment as the sandbox network itself reports it. */
async function sandboxPayment(pspReference: string): Promise<Record<string, unknown> & { status: string; amount: number }> {
  const res = await fetch(`${app.url}/api/sandbox/card/v1/payments/${pspReference}`, {
    headers: { authorization: `Bearer ${process.env.SANDBOX_ACQUIRER_KEY}` },
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function answerChallenge(pspReference: string, result: 'succeeded' | 'failed'): Promise<void> {
  const res = await fetch(`${app.url}/api/sandbox/card/v1/payments/${pspReference}/3ds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ result }),
  });
  expect(res.status).toBe(200);
}

let eventCounter = 0;

/** POSTs a callback signed with the install's real secret, then processes its inbox row. */
async function sendSignedCallback(data: Record<string, unknown>, type: 'payment.updated' | 'refund.updated' = 'payment.updated') {
  const body = JSON.stringify({
    id: `sbxevt_probe_${Date.now()}_${++eventCounter}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data,
  });
  const res = await fetch(`${app.url}/api/psp/sandbox/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sandbox-signature': signCallback(body, sandboxCallbackSecret()) },
    body,
  });
  expect(res.status).toBe(200); // a valid signature is accepted into the inbox: it is a hint, stored raw
  const [row] = await getDb().select().from(pspInbox).where(eq(pspInbox.rawBody, body));
  expect(row).toBeDefined();
  const result = await processInboxMessage(row!.id);
  const [after] = await getDb().select().from(pspInbox).where(eq(pspInbox.id, row!.id));
  return { result, row: after! };
}

async function intentOf(id: string) {
  const [pi] = await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, id));
  return pi!;
}

const capturePostings = (paymentIntentId: string) =>
  getDb()
    .select()
    .from(journalTransactions)
    .where(and(eq(journalTransactions.paymentIntentId, paymentIntentId), eq(journalTransactions.kind, 'capture')));

const eventTypes = async (paymentIntentId: string) =>
  (await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, paymentIntentId))).map((e) => e.type);

describe('forged sandbox card callbacks', () => {
  it('a correctly signed "captured" callback for a 3-D Secure payment nobody completed marks nothing paid and credits nothing', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = await threeDSecureIntent(api, 4_321);
    const truth = await sandboxPayment(pi.pspReference);
    expect(truth.status).toBe('requires_action');

    const forged = { ...truth, status: 'captured', amount_captured: truth.amount, next_action: undefined };
    const { result, row } = await sendSignedCallback(forged);

    expect(row.processedAt).not.toBeNull();
    expect(row.processError).toBeNull();
    expect(result.outcome).toBe('unconfirmed');
    expect(await attemptOf(pi.id)).toMatchObject({ status: 'requires_action' });
    expect(await intentOf(pi.id)).toMatchObject({ status: 'requires_action', amountReceived: 0 });
    await drainEverything();
    expect(await capturePostings(pi.id)).toHaveLength(0);
    expect(await eventTypes(pi.id)).not.toContain('payment_intent.succeeded');
    expect((await sandboxPayment(pi.pspReference)).status).toBe('requires_action');
    await assertPaymentInvariants(pi.id);
  });

  it('a genuine callback still completes the payment, with the state the PSP reports, and the ledger books it once', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = await threeDSecureIntent(api, 5_000);
    await answerChallenge(pi.pspReference, 'succeeded');
    const truth = await sandboxPayment(pi.pspReference);
    expect(truth.status).toBe('captured');

    const { result } = await sendSignedCallback(truth);
    expect(result).toMatchObject({ outcome: 'apply', attempt: { status: 'succeeded' } });
    expect(await intentOf(pi.id)).toMatchObject({ status: 'succeeded', amountReceived: 5_000 });
    await drainEverything();
    await h.waitFor(async () => (await capturePostings(pi.id)).length === 1);
    await assertPaymentInvariants(pi.id);
  });

  it('a callback claiming "declined" for a payment the PSP captured ends succeeded (the PSP’s truth)', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = await threeDSecureIntent(api, 6_000);
    await answerChallenge(pi.pspReference, 'succeeded');
    const truth = await sandboxPayment(pi.pspReference);

    const claim = { ...truth, status: 'declined', amount_captured: 0, decline_code: 'insufficient_funds', decline_message: 'Insufficient funds.' };
    const { result } = await sendSignedCallback(claim);
    expect(result).toMatchObject({ outcome: 'apply', attempt: { status: 'succeeded' } });
    expect(await attemptOf(pi.id)).toMatchObject({ status: 'succeeded', declineCode: null });
    expect(await intentOf(pi.id)).toMatchObject({ status: 'succeeded', amountReceived: 6_000 });
    await assertPaymentInvariants(pi.id);
  });

  it('a genuine "captured" callback for an attempt we had already failed is not dropped: the money goes back at the PSP', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = await threeDSecureIntent(api, 3_300);
    // our deadline gave the attempt up, and the merchant canceled; the PSP still waited for the customer
    await failOpenAttempt((await attemptOf(pi.id)).id, 'authentication_abandoned', 'The customer did not complete 3-D Secure authentication in time.');
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})).body.status).toBe('canceled');
    await answerChallenge(pi.pspReference, 'succeeded');
    expect((await sandboxPayment(pi.pspReference)).status).toBe('captured');

    const { result, row } = await sendSignedCallback(await sandboxPayment(pi.pspReference));
    expect(row.processError).toBeNull();
    expect(result.outcome).toBe('apply');
    expect(await attemptOf(pi.id)).toMatchObject({ status: 'reversed' });
    expect(await intentOf(pi.id)).toMatchObject({ status: 'canceled', amountReceived: 0 });
    // the sandbox network's own books: the capture was refunded in full, once
    const refundsAtPsp = await getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.paymentId, pi.pspReference));
    expect(refundsAtPsp.map((r) => [r.amount, r.status])).toEqual([[3_300, 'succeeded']]);
    expect(await eventTypes(pi.id)).toContain('payment_intent.late_success_reversed');
    await drainEverything();
    expect(await capturePostings(pi.id)).toHaveLength(0);
    await assertPaymentInvariants(pi.id);
  });

  it('a callback claiming "captured" for a payment whose 3-D Secure failed ends failed (the PSP’s truth)', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = await threeDSecureIntent(api, 7_000);
    await answerChallenge(pi.pspReference, 'failed');
    const truth = await sandboxPayment(pi.pspReference);
    expect(truth.status).toBe('declined');

    const { result } = await sendSignedCallback({ ...truth, status: 'captured', amount_captured: truth.amount });
    expect(result).toMatchObject({ outcome: 'apply', attempt: { status: 'failed' } });
    expect(await attemptOf(pi.id)).toMatchObject({ status: 'failed', failureCode: 'authentication_failed' });
    expect(await intentOf(pi.id)).toMatchObject({ status: 'requires_payment_method', amountReceived: 0 });
    await drainEverything();
    expect(await capturePostings(pi.id)).toHaveLength(0);
    await assertPaymentInvariants(pi.id);
  });

  it('a callback naming our attempt but another, captured payment cannot attach that payment to it', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const victim = await threeDSecureIntent(api, 8_000);
    const other = await threeDSecureIntent(api, 8_000);
    await answerChallenge(other.pspReference, 'succeeded');
    const otherTruth = await sandboxPayment(other.pspReference);
    const victimAttempt = await attemptOf(victim.id);

    // the other payment's real (captured) data, but carrying the victim attempt's idempotency key
    const { result } = await sendSignedCallback({ ...otherTruth, idempotency_key: victimAttempt.pspIdempotencyKey });
    expect(result.attempt?.paymentIntentId).not.toBe(victim.id);
    expect(await attemptOf(victim.id)).toMatchObject({ status: 'requires_action', pspReference: victim.pspReference });
    expect(await intentOf(victim.id)).toMatchObject({ status: 'requires_action', amountReceived: 0 });
  });
});

describe('forged sandbox refund callbacks', () => {
  it('a refund callback claiming "failed" for a refund the network makes ends succeeded (the PSP’s truth)', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = (await api.post('/api/v1/payment_intents', { amount: 3_000, currency: 'eur' })).body as { id: string };
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })).body.status).toBe('succeeded');

    // The network cannot take refunds for a moment: ours stays pending, with no PSP reference yet.
    const flaky = await startFetchServer(async (request) => {
      const url = new URL(request.url);
      if (request.method === 'POST' && url.pathname.endsWith('/refunds')) return new Response('unavailable', { status: 503 });
      const body = request.method === 'POST' ? await request.text() : undefined;
      return fetch(`${app.url}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body });
    });
    process.env.SANDBOX_CARD_URL = flaky.url;
    resetEnvCache();
    resetCardPsp();
    let refundId: string;
    try {
      const created = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 1_000 });
      expect(created.body.status).toBe('pending');
      refundId = created.body.id as string;
    } finally {
      process.env.SANDBOX_CARD_URL = app.url;
      resetEnvCache();
      resetCardPsp();
      await flaky.close();
    }
    const [pending] = await getDb().select().from(refunds).where(eq(refunds.id, refundId));
    expect(pending).toMatchObject({ status: 'pending', pspReference: null });

    const { result } = await sendSignedCallback(
      {
        id: 'sbxre_claimed',
        object: 'refund',
        payment: (await attemptOf(pi.id)).pspReference,
        amount: 1_000,
        currency: 'eur',
        status: 'failed',
        failure_reason: 'claimed by the callback',
        idempotency_key: pending!.pspIdempotencyKey,
      },
      'refund.updated',
    );
    expect(result.outcome).toBe('apply');
    const [after] = await getDb().select().from(refunds).where(eq(refunds.id, refundId));
    expect(after).toMatchObject({ status: 'succeeded', failureReason: null, pspReference: expect.stringMatching(/^sbx/) });
    expect(after!.pspReference).not.toBe('sbxre_claimed');
  });
});

describe('forged Stripe webhooks', () => {
  it('a correctly signed payment_intent.succeeded for a PaymentIntent Stripe still holds in requires_action changes nothing', async () => {
    const merchant = await createTestMerchant();
    await getDb().insert(merchantSettings).values({ merchantId: merchant.merchant.id, pspRouting: { card: ['stripe'], mpesa: ['daraja'] } });
    const api = apiClient(app, merchant.secretKey);
    const pi = (await api.post('/api/v1/payment_intents', { amount: 9_000, currency: 'usd' })).body as { id: string };
    const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/back',
    });
    expect(confirmed.body.status).toBe('requires_action');
    const attempt = await attemptOf(pi.id);
    expect(attempt.psp).toBe('stripe');
    const held = fake.paymentIntents.get(attempt.pspReference!)!;
    expect(held.status).toBe('requires_action');

    // signed with the real webhook secret, but the body claims a success Stripe never saw
    const forged = fake.webhook('payment_intent.succeeded', { ...held, status: 'succeeded', amount_received: held.amount, next_action: null });
    const res = await fetch(`${app.url}/api/psp/stripe/webhook`, { method: 'POST', headers: forged.headers, body: forged.body });
    expect(res.status).toBe(200);
    const [row] = await getDb().select().from(pspInbox).where(eq(pspInbox.rawBody, forged.body));
    const result = await processInboxMessage(row!.id);
    expect(result.outcome).toBe('unconfirmed');
    expect(await attemptOf(pi.id)).toMatchObject({ status: 'requires_action' });
    expect(await intentOf(pi.id)).toMatchObject({ status: 'requires_action', amountReceived: 0 });
    await drainEverything();
    expect(await capturePostings(pi.id)).toHaveLength(0);

    // once the customer really completes 3-D Secure, the same claim is confirmed by Stripe and applied
    fake.completeThreeDS(attempt.pspReference!, true);
    const genuine = fake.webhook('payment_intent.succeeded', { ...fake.paymentIntents.get(attempt.pspReference!)! });
    await fetch(`${app.url}/api/psp/stripe/webhook`, { method: 'POST', headers: genuine.headers, body: genuine.body });
    const [genuineRow] = await getDb().select().from(pspInbox).where(eq(pspInbox.rawBody, genuine.body));
    expect((await processInboxMessage(genuineRow!.id)).outcome).toBe('apply');
    expect(await intentOf(pi.id)).toMatchObject({ status: 'succeeded', amountReceived: 9_000 });
    await assertPaymentInvariants(pi.id);
  });
});
