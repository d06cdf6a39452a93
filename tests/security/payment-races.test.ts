/**
 * Races between the calls that move a payment's money: confirm vs cancel, capture vs cancel,
 * confirm vs the expiry of its checkout session, and a PSP success that arrives after the
 * intent was given up. Everything runs against the real app (startTestApp), the sandbox card
 * network over HTTP and a real Postgres; the PSP's own API is asked what it holds at the end.
 *
 * The rule checked for every intent: it ended succeeded, with exactly one capture posting in
 * the ledger and the money captured once at the PSP; or it ended without success and the PSP
 * holds nothing for it (every PSP payment of its attempts is canceled, declined, or refunded in
 * full). Never "canceled here, captured there".
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { checkoutSessions, journalTransactions, outboxEvents, paymentAttempts, paymentIntents, sandboxCardPayments, sandboxCardRefunds } from '@/db/schema';
import { defineLedgerPostCapture } from '@/inngest/functions/ledger-post-capture';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { getMerchantPaymentDetail } from '@/lib/dashboard/payments';
import { env, resetEnvCache } from '@/lib/env';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { applyPspPayment, failOpenAttempt } from '@/lib/payments/apply-psp-result';
import { abandonAttempt, expireCheckoutSession } from '@/lib/payments/resolution';
import { reverseOwedAttempt, reverseOwedAttempts } from '@/lib/payments/late-success';
import { getPspByName, resetCardPsp } from '@/lib/psp';
import { DEFAULT_RISK_SETTINGS, saveRiskSettings } from '@/lib/risk';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { freePort } from '../helpers/global-setup';
import { assertPaymentInvariants } from '../helpers/invariants';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';

let app: TestApp;
let harness: Harness | undefined;

beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(() => app.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomOffsetMs = () => Math.floor(Math.random() * 31); // 0..30 ms
/**
 * A confirm takes a few hundred ms here under load (token lookup, risk check, PSP call, recording),
 * far longer than 30 ms. So the second request of race i is sent `stepMs * (i % 10)` plus a random
 * 0-30 ms after the first: across the races it lands in every phase of the first one.
 */
const staggeredOffsetMs = (i: number, stepMs: number) => stepMs * (i % 10) + randomOffsetMs();

/** A merchant whose velocity limits do not get in the way of many payments with one test card. */
async function raceMerchant() {
  const m = await createTestMerchant('Race Merchant');
  await saveRiskSettings(getDb(), m.merchant.id, {
    ...DEFAULT_RISK_SETTINGS,
    maxAttemptsPerIpPerDay: 100_000,
    maxAttemptsPerCardPerDay: 100_000,
    maxAttemptsPerEmailPerDay: 100_000,
  });
  return { m, api: apiClient(app, m.secretKey) };
}

/** The sandbox card network's own answer about one of its payments (its acquirer API). */
async function pspPaymentStatus(pspPaymentId: string): Promise<{ status: string; amount_captured: number }> {
  const res = await fetch(`${app.url}/api/sandbox/card/v1/payments/${pspPaymentId}`, {
    headers: { authorization: `Bearer ${env().SANDBOX_ACQUIRER_KEY}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; amount_captured: number };
}

/** Runs the ledger's capture consumer over everything in the outbox, through the engine. */
async function postLedger(): Promise<void> {
  harness ??= await startHarness((client) => [defineLedgerPostCapture(client)]);
  const h = harness;
  while ((await relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined), 500)) > 0);
  await h.engine.drain();
}

/**
 * What is wrong with an intent's end state, or null. `attemptKinds` are the PSP calls its
 * attempts made; the PSP payments are found by the idempotency key each attempt sent.
 */
async function problemWith(paymentIntentId: string): Promise<string | null> {
  const db = getDb();
  const [pi] = await db.select().from(paymentIntents).where(eq(paymentIntents.id, paymentIntentId));
  if (!pi) return `${paymentIntentId}: missing`;
  const attempts = await db.select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
  const keys = attempts.map((a) => a.pspIdempotencyKey);
  const atPsp = keys.length ? await db.select().from(sandboxCardPayments).where(inArray(sandboxCardPayments.idempotencyKey, keys)) : [];
  const held: string[] = [];
  let capturedAndKept = 0;
  for (const p of atPsp) {
    const answer = await pspPaymentStatus(p.id);
    const [refunded] = await db
      .select({ total: sql<string>`coalesce(sum(${sandboxCardRefunds.amount}), 0)` })
      .from(sandboxCardRefunds)
      .where(and(eq(sandboxCardRefunds.paymentId, p.id), eq(sandboxCardRefunds.status, 'succeeded')));
    const kept = answer.status === 'captured' ? answer.amount_captured - Number(refunded?.total ?? 0) : 0;
    if (kept > 0) capturedAndKept += 1;
    if (answer.status === 'authorized' || answer.status === 'requires_action') held.push(`${p.id} ${answer.status}`);
    if (kept > 0 && pi.status !== 'succeeded') held.push(`${p.id} captured ${kept} and kept`);
  }
  const [captures] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(journalTransactions)
    .where(and(eq(journalTransactions.paymentIntentId, pi.id), eq(journalTransactions.kind, 'capture')));
  const postings = captures?.n ?? 0;
  if (pi.status === 'succeeded') {
    if (postings !== 1) return `${pi.id}: succeeded with ${postings} capture postings`;
    if (capturedAndKept !== 1) return `${pi.id}: succeeded but ${capturedAndKept} PSP payments captured`;
    if (held.length) return `${pi.id}: succeeded, and the PSP also holds ${held.join(', ')}`;
    return null;
  }
  if (postings !== 0) return `${pi.id}: ${pi.status} with ${postings} capture postings`;
  if (held.length) return `${pi.id}: ${pi.status} while the PSP holds ${held.join(', ')}`;
  return null;
}

async function problemsWith(ids: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const id of ids) {
    const p = await problemWith(id);
    if (p) problems.push(p);
  }
  return problems;
}

/** Runs `count` races in waves of `wave` at once (the machine has two cores). */
async function inWaves<T>(count: number, wave: number, race: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += wave) {
    const n = Math.min(wave, count - start);
    out.push(...(await Promise.all(Array.from({ length: n }, (_, k) => race(start + k)))));
  }
  return out;
}

const isServerError = (status: number) => status >= 500;

describe('confirm racing cancel', () => {
  it('200 pairs with random 0-30 ms offsets: each intent is paid with one capture posting, or canceled with nothing held at the PSP', async () => {
    const { api } = await raceMerchant();
    // How long a confirm takes here, in a wave of 20 (a busy machine makes it several times
    // slower): the cancels are then spread over the whole confirm, so every phase is hit.
    const timings = await inWaves(20, 20, async () => {
      const pi = (await api.post('/api/v1/payment_intents', { amount: 2_000, currency: 'usd' })).body;
      const started = Date.now();
      expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })).status).toBe(200);
      return Date.now() - started;
    });
    const confirmMs = timings.sort((a, b) => a - b)[timings.length >> 1]!;
    const stepMs = Math.max(30, Math.round(confirmMs / 8));
    const results = await inWaves(200, 20, async (i) => {
      const pi = (await api.post('/api/v1/payment_intents', { amount: 2_000, currency: 'usd' })).body;
      const [confirm, cancel] = await Promise.all([
        sleep(randomOffsetMs()).then(() => api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })),
        sleep(staggeredOffsetMs(i, stepMs)).then(() => api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})),
      ]);
      return { id: pi.id as string, confirm, cancel };
    });
    await postLedger();
    const problems = await problemsWith(results.map((r) => r.id));
    if (problems.length) console.warn(`[race] confirm vs cancel: ${problems.length} of 200 intents broke the rule`, problems.slice(0, 5));
    expect(problems).toEqual([]);

    const statuses = await getDb().select({ status: paymentIntents.status }).from(paymentIntents).where(inArray(paymentIntents.id, results.map((r) => r.id)));
    for (const { status } of statuses) expect(['succeeded', 'canceled']).toContain(status);
    // the offsets really interleave the two: both outcomes occur, and cancels hit attempts in flight
    expect(statuses.some((s) => s.status === 'succeeded') && statuses.some((s) => s.status === 'canceled')).toBe(true);
    expect(results.filter((r) => r.cancel.status === 409).length).toBeGreaterThan(0);
    for (const r of results) {
      expect(isServerError(r.confirm.status) || isServerError(r.cancel.status), JSON.stringify([r.confirm.body, r.cancel.body])).toBe(false);
      // exactly one of the two won
      expect([r.confirm.status, r.cancel.status].filter((s) => s === 200)).toHaveLength(1);
      // a cancel that lost to an attempt in flight says so with a 409
      if (r.cancel.status !== 200 && r.cancel.body.error.message.includes('in progress')) {
        expect(r.cancel.status).toBe(409);
        expect(r.cancel.body.error.code).toBe('payment_intent_unexpected_state');
      }
    }
    for (const r of results.slice(0, 20)) await assertPaymentInvariants(r.id);
    await assertLedgerInvariants();
  }, 300_000);
});

describe('cancel while a confirm is at the PSP', () => {
  let slowNetwork: FetchServer | undefined;
  afterEach(async () => {
    process.env.SANDBOX_CARD_URL = app.url;
    resetEnvCache();
    resetCardPsp();
    await slowNetwork?.close();
    slowNetwork = undefined;
  });

  it('is refused with 409 payment_intent_unexpected_state (not stored under its Idempotency-Key), and the payment completes', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    // the card network answers authorizations only when the test says so
    slowNetwork = await startFetchServer(async (req) => {
      const url = new URL(req.url);
      const body = req.method === 'GET' ? undefined : await req.text();
      if (req.method === 'POST' && url.pathname.endsWith('/v1/payments')) await held;
      const answer = await fetch(`${app.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body });
      return new Response(await answer.text(), { status: answer.status, headers: { 'content-type': 'application/json' } });
    });
    process.env.SANDBOX_CARD_URL = slowNetwork.url;
    resetEnvCache();
    resetCardPsp();
    const { api } = await raceMerchant();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 1_200, currency: 'usd' })).body;
    const confirming = api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    for (let i = 0; i < 200; i++) {
      const [a] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
      if (a?.status === 'pending') break;
      await sleep(10);
    }
    const refused = await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {}, { idempotencyKey: 'cancel-once' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('payment_intent_unexpected_state');
    expect(refused.body.error.message).toMatch(/in progress/);
    release();
    expect((await confirming).body.status).toBe('succeeded');
    // the same key again is a new decision, not a replay of the conflict
    const again = await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {}, { idempotencyKey: 'cancel-once' });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/status of succeeded/);
    await postLedger();
    expect(await problemWith(pi.id)).toBeNull();
  });
});

describe('capture racing cancel', () => {
  it('50 held authorizations: each ends captured with one capture posting, or released at the PSP', async () => {
    const { api } = await raceMerchant();
    const results = await inWaves(50, 10, async () => {
      const pi = (await api.post('/api/v1/payment_intents', { amount: 3_000, currency: 'usd', capture_method: 'manual' })).body;
      const held = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
      expect(held.body.status).toBe('requires_capture');
      const [capture, cancel] = await Promise.all([
        sleep(randomOffsetMs()).then(() => api.post(`/api/v1/payment_intents/${pi.id}/capture`, {})),
        sleep(randomOffsetMs()).then(() => api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})),
      ]);
      return { id: pi.id as string, capture, cancel };
    });
    await postLedger();
    const problems = await problemsWith(results.map((r) => r.id));
    if (problems.length) console.warn(`[race] capture vs cancel: ${problems.length} of 50 intents broke the rule`, problems.slice(0, 5));
    expect(problems).toEqual([]);
    for (const r of results) {
      expect(isServerError(r.capture.status) || isServerError(r.cancel.status), JSON.stringify([r.capture.body, r.cancel.body])).toBe(false);
      expect([r.capture.status, r.cancel.status].filter((s) => s === 200)).toHaveLength(1);
    }
    await assertLedgerInvariants();
  }, 300_000);
});

describe('confirm racing the expiry of its checkout session', () => {
  it('50 sessions whose deadline passes at a random moment around the customer paying: paid once, or expired with nothing held', async () => {
    const { api } = await raceMerchant();
    const results = await inWaves(50, 10, async (i) => {
      const cs = (
        await api.post('/api/v1/checkout/sessions', {
          line_items: [{ name: 'Mug', quantity: 1, unit_amount: 1_500 }],
          currency: 'usd',
          success_url: 'https://shop.example/ok',
          cancel_url: 'https://shop.example/cart',
        })
      ).body;
      const token = await tokenizeCard(app, '4242424242424242');
      const [paid] = await Promise.all([
        sleep(randomOffsetMs()).then(async () => {
          const res = await fetch(`${app.url}/api/pay/${cs.id}/confirm`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
            body: JSON.stringify({ token, email: `buyer-${crypto.randomUUID()}@example.test` }),
          });
          return { status: res.status, body: (await res.json()) as any };
        }),
        sleep(staggeredOffsetMs(i, 20)).then(async () => {
          // the deadline passes now, and the expiry sweep runs right away
          await getDb().update(checkoutSessions).set({ expiresAt: new Date(Date.now() - 1) }).where(eq(checkoutSessions.id, cs.id));
          return expireCheckoutSession(cs.id);
        }),
      ]);
      return { id: cs.payment_intent as string, session: cs.id as string, paid };
    });
    await postLedger();
    const problems = await problemsWith(results.map((r) => r.id));
    if (problems.length) console.warn(`[race] confirm vs expiry: ${problems.length} of 50 intents broke the rule`, problems.slice(0, 5));
    expect(problems).toEqual([]);
    for (const r of results) {
      expect(isServerError(r.paid.status), JSON.stringify(r.paid.body)).toBe(false);
      const [pi] = await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, r.id));
      const [cs] = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, r.session));
      // the session agrees with its intent: paid and complete, or expired and canceled
      if (pi!.status === 'succeeded') expect(cs!.status).toBe('complete');
      else expect([pi!.status, cs!.status]).toEqual(['canceled', 'expired']);
    }
    await assertLedgerInvariants();
  }, 300_000);
});

describe('a PSP success that arrives after the intent was given up', () => {
  const THREE_DS_CARD = 'pm_card_threeDSecure2Required';

  /** Points the card adapter at a closed port: the card network cannot be reached until restored. */
  async function cutOffCardNetwork(): Promise<() => void> {
    const port = await freePort();
    process.env.SANDBOX_CARD_URL = `http://127.0.0.1:${port}`;
    resetEnvCache();
    resetCardPsp();
    return () => {
      process.env.SANDBOX_CARD_URL = app.url;
      resetEnvCache();
      resetCardPsp();
    };
  }

  async function completeChallenge(pspPaymentId: string) {
    const res = await fetch(`${app.url}/api/sandbox/card/v1/payments/${pspPaymentId}/3ds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'succeeded' }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string };
  }

  it('a 3-D Secure payment given up while the network was down, then canceled, is refunded at the PSP when the customer completes it later', async () => {
    const { m, api } = await raceMerchant();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 4_200, currency: 'usd' })).body;
    const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: THREE_DS_CARD });
    expect(confirmed.body.status).toBe('requires_action');
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    expect(attempt?.pspReference).toBeTruthy();

    // The resolution deadline passes while the card network cannot be reached: the attempt is
    // given up here, but nobody could tell the PSP, so it may still complete there.
    const restore = await cutOffCardNetwork();
    try {
      await abandonAttempt(attempt!.id, 'requires_action');
    } finally {
      restore();
    }
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('requires_payment_method');
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})).body.status).toBe('canceled');

    // The customer finishes 3-D Secure after all: the PSP captures the card.
    expect((await completeChallenge(attempt!.pspReference!)).status).toBe('captured');
    // The PSP's answer reaches us (a callback, a poll) and is applied as any PSP result is.
    await applyPspPayment(attempt!.id, await getPspByName('sandbox_card').retrieve(attempt!.pspReference!), app.url);
    await reverseOwedAttempts();

    expect(await problemWith(pi.id)).toBeNull();
    const refundsAtPsp = await getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.paymentId, attempt!.pspReference!));
    expect(refundsAtPsp.map((r) => [r.amount, r.status, r.idempotencyKey])).toEqual([[4_200, 'succeeded', `${attempt!.id}:reverse`]]);
    const [after] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt!.id));
    expect(after?.status).toBe('reversed');
    expect(after?.reversalReason).toMatch(/refunded/i);
    const timeline = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id)).orderBy(outboxEvents.seq);
    expect(timeline.map((e) => e.type)).toContain('payment_intent.late_success_reversed');
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('canceled');
    // what the dashboard's payment page shows: the attempt as reversed, with why, and the timeline entry
    const detail = await getMerchantPaymentDetail(m.merchant.id, pi.id);
    expect(detail?.attempts.map((a) => [a.id, a.status])).toEqual([[attempt!.id, 'reversed']]);
    expect(detail?.attempts[0]?.reversalReason).toMatch(/after the payment was canceled; the USD 42\.00 captured was refunded automatically/);
    expect(detail?.events.map((e) => e.type)).toContain('payment_intent.late_success_reversed');

    // Running the reversal again (a retry, a second sweeper) changes nothing.
    await reverseOwedAttempts();
    await applyPspPayment(attempt!.id, await getPspByName('sandbox_card').retrieve(attempt!.pspReference!), app.url);
    await reverseOwedAttempts();
    expect(await getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.paymentId, attempt!.pspReference!))).toHaveLength(1);
    const events = await getDb().select().from(outboxEvents).where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.late_success_reversed')));
    expect(events).toHaveLength(1);
    await postLedger();
    expect(await problemWith(pi.id)).toBeNull();
  });

  it('a success reported for an attempt that had already failed is refunded at once, without waiting for the sweep', async () => {
    const { api } = await raceMerchant();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 2_500, currency: 'usd' })).body;
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: THREE_DS_CARD })).body.status).toBe('requires_action');
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    // the attempt is failed here (a deadline) while the PSP still waits for the customer
    await failOpenAttempt(attempt!.id, 'authentication_abandoned', 'The customer did not complete 3-D Secure authentication in time.');
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})).body.status).toBe('canceled');
    expect((await completeChallenge(attempt!.pspReference!)).status).toBe('captured');

    const outcome = await applyPspPayment(attempt!.id, await getPspByName('sandbox_card').retrieve(attempt!.pspReference!), app.url);
    expect(outcome.paymentIntent.status).toBe('canceled');
    const [after] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt!.id));
    expect(after?.status).toBe('reversed');
    const refundsAtPsp = await getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.paymentId, attempt!.pspReference!));
    expect(refundsAtPsp.map((r) => [r.amount, r.status])).toEqual([[2_500, 'succeeded']]);
    const reversed = await getDb()
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.late_success_reversed')));
    expect(reversed).toHaveLength(1);
    expect(reversed[0]!.data).toMatchObject({ payment_attempt: attempt!.id, reversal: 'refunded', amount: 2_500, currency: 'usd' });
    await postLedger();
    expect(await problemWith(pi.id)).toBeNull();
  });

  it('ten reversers at once (the request, sweeps on several engines) give the money back once, with one timeline entry', async () => {
    const { api } = await raceMerchant();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 3_300, currency: 'usd' })).body;
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: THREE_DS_CARD })).body.status).toBe('requires_action');
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    const restore = await cutOffCardNetwork();
    try {
      await abandonAttempt(attempt!.id, 'requires_action');
    } finally {
      restore();
    }
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})).body.status).toBe('canceled');
    expect((await completeChallenge(attempt!.pspReference!)).status).toBe('captured');

    const outcomes = await Promise.all(Array.from({ length: 10 }, () => reverseOwedAttempt(attempt!.id)));
    expect(outcomes.filter((o) => o === 'reversed')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'reversed' || o === 'retry_later' || o === 'not_owed')).toBe(true);
    const refundsAtPsp = await getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.paymentId, attempt!.pspReference!));
    expect(refundsAtPsp.map((r) => [r.amount, r.status])).toEqual([[3_300, 'succeeded']]);
    const reversed = await getDb()
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.late_success_reversed')));
    expect(reversed).toHaveLength(1);
    expect(Object.keys(await reverseOwedAttempts())).not.toContain(attempt!.id);
    expect(await problemWith(pi.id)).toBeNull();
  });

  it('a reversal the PSP cannot take yet is kept and retried until the authorization is released', async () => {
    const { api } = await raceMerchant();
    const pi = (await api.post('/api/v1/payment_intents', { amount: 1_800, currency: 'usd', capture_method: 'manual' })).body;
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: THREE_DS_CARD })).body.status).toBe('requires_action');
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    const restore = await cutOffCardNetwork();
    try {
      await abandonAttempt(attempt!.id, 'requires_action');
    } finally {
      restore();
    }
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})).body.status).toBe('canceled');
    expect((await completeChallenge(attempt!.pspReference!)).status).toBe('authorized');

    // The network is down when the sweep first tries: nothing is lost, the attempt stays owed.
    const restoreAgain = await cutOffCardNetwork();
    try {
      await reverseOwedAttempts();
    } finally {
      restoreAgain();
    }
    expect((await pspPaymentStatus(attempt!.pspReference!)).status).toBe('authorized');
    const [owed] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt!.id));
    expect(owed?.status).toBe('reversal_pending');

    await reverseOwedAttempts();
    expect((await pspPaymentStatus(attempt!.pspReference!)).status).toBe('canceled');
    const [done] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt!.id));
    expect(done?.status).toBe('reversed');
    expect(done?.reversalReason).toMatch(/voided|released/i);
    expect(await problemWith(pi.id)).toBeNull();
  });
});
