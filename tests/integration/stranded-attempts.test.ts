import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, sandboxCardPayments } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { resetEnvCache } from '@/lib/env';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { beginAttempt } from '@/lib/payments/begin-attempt';
import { awaitPspAnswer, findStrandedAttempts } from '@/lib/payments/stranded';
import { openRoute, planPaymentRoute, routingReason } from '@/lib/psp/router';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { attemptOf, createTestPaymentIntent } from '@/tests/helpers/factories';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';

// A confirm that dies (the app is SIGKILLed: found by tests/integration/redundancy.test.ts) after
// recording its attempt and before applying the PSP's answer leaves no event behind. These tests
// run the first half of a confirm, as the dead process did, and check the sweep finishes it.

let app: TestApp;
let harness: Harness | undefined;
let api: ReturnType<typeof apiClient>;
let merchantId: string;

beforeAll(async () => {
  Object.assign(process.env, { PAYMENT_CALLBACK_TIMEOUT_MS: '200', PAYMENT_QUERY_BACKOFF_MS: '100' });
  resetEnvCache();
  app = await startTestApp();
  const created = await createTestMerchant();
  merchantId = created.merchant.id;
  api = apiClient(app, created.secretKey);
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(async () => {
  delete process.env.PAYMENT_CALLBACK_TIMEOUT_MS;
  delete process.env.PAYMENT_QUERY_BACKOFF_MS;
  resetEnvCache();
  await app.close();
});

/** confirmPayment up to the point where the process died: the attempt recorded, the card network asked (and charging). */
async function confirmUntilTheAppDies(paymentIntentId: string, amount: number): Promise<string> {
  const token = await tokenizeCard(app, '4242424242424242', { merchantId });
  const plan = await planPaymentRoute({ merchantId, method: 'card', currency: 'usd', paymentMethod: token });
  const route = await openRoute(plan, token, merchantId);
  const attempt = await beginAttempt({ merchantId, paymentIntentId }, route.step.adapter, route.step.paymentMethod, routingReason(route));
  const answer = await route.step.adapter.begin({
    attemptId: attempt.id,
    idempotencyKey: attempt.pspIdempotencyKey,
    amount,
    currency: 'usd',
    paymentMethod: route.step.paymentMethod,
    capture: true,
    merchantId,
    merchantName: 'Test Merchant',
  });
  expect(answer.status).toBe('captured');
  return attempt.id;
}

const relay = (h: Harness) => relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined));

describe('a confirm that died between recording its attempt and applying the answer', () => {
  it('is found once it is older than any live confirm, and the charge the network made is booked once', async () => {
    const pi = await createTestPaymentIntent(api, { amount: 4321 });
    const attemptId = await confirmUntilTheAppDies(pi.id, 4321);
    // the intent is stuck: no event after created, and a new confirm is refused while the attempt is open
    const stuck = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(stuck.status).toBe(409);

    expect((await findStrandedAttempts(60_000)).map((a) => a.id)).not.toContain(attemptId);
    const stranded = (await findStrandedAttempts(0)).filter((a) => a.paymentIntentId === pi.id);
    expect(stranded.map((a) => a.id)).toEqual([attemptId]);

    harness = await startHarness((client) => defineFunctions(client));
    expect(await awaitPspAnswer(stranded[0]!)).toBe(true);
    expect(await awaitPspAnswer(stranded[0]!)).toBe(false);
    await relay(harness);
    const paid = await harness.waitFor(async () => {
      const body = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body;
      return body.status === 'succeeded' ? body : undefined;
    }, 20_000);
    expect(paid.amount_received).toBe(4321);
    const attempt = await attemptOf(pi.id);
    expect(attempt.id).toBe(attemptId);
    const atNetwork = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.id, attempt.pspReference!));
    expect(atNetwork).toHaveLength(1);
    expect(atNetwork[0]?.status).toBe('captured');
    const processing = await getDb()
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.processing')));
    expect(processing).toHaveLength(1);
    expect((await findStrandedAttempts(0)).map((a) => a.id)).not.toContain(attemptId);
    await assertPaymentInvariants(pi.id);
  });

  it('an attempt whose confirm heard back is never taken for stranded', async () => {
    const pi = await createTestPaymentIntent(api, { amount: 1500 });
    const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(confirmed.body.status).toBe('succeeded');
    const attempt = await attemptOf(pi.id);
    expect((await findStrandedAttempts(0)).map((a) => a.id)).not.toContain(attempt.id);
    expect(await awaitPspAnswer(attempt)).toBe(false);
  });
});
