import { eq, sql } from 'drizzle-orm';
import type { Inngest } from 'inngest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, paymentAttempts, paymentIntents, pspInbox, type PspInboxMessage } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { inngest } from '@/inngest/client';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { PSP_CALLBACK_APPLIED } from '@/inngest/events';
import { resetEnvCache } from '@/lib/env';
import { processInboxMessage, processUnprocessedInbox } from '@/lib/inbox/process';
import { storeInboxMessage } from '@/lib/inbox/store';
import { appliedEvent } from '@/inngest/functions/apply-psp-callback';
import { resetCardPsp } from '@/lib/psp';
import { receiveSandboxCallback } from '@/lib/inbox/receive';
import { SANDBOX_PSP, sandboxCallbackSecret } from '@/lib/psp/sandbox-callbacks';
import { setSandboxCallbackFaults, signCallback } from '@/sandbox/card/callbacks';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let harness: Harness;
/** Every PSP_CALLBACK_APPLIED the engine delivered, as a downstream consumer sees them. */
const announced: { paymentIntentId: string; attemptId: string; status: string }[] = [];

function withAnnouncementRecorder(client: Inngest) {
  const recorder = client.createFunction(
    { id: 'test-record-callback-applied', triggers: [{ event: PSP_CALLBACK_APPLIED }] },
    async ({ event }) => {
      announced.push(event.data as (typeof announced)[number]);
    },
  );
  return [...defineFunctions(client), recorder];
}

beforeAll(async () => {
  app = await startTestApp();
  process.env.SANDBOX_CALLBACK_URL = `${app.url}/api/psp/sandbox/callback`;
  harness = await startHarness(withAnnouncementRecorder);
  // The route sends with the app's own client: point it at this file's engine.
  inngest.setEnvVars({ INNGEST_BASE_URL: harness.engine.url, INNGEST_EVENT_KEY: harness.eventKey });
});
let tap: FetchServer | undefined;
afterEach(async () => {
  setSandboxCallbackFaults(null);
  process.env.SANDBOX_CALLBACK_URL = `${app.url}/api/psp/sandbox/callback`;
  await tap?.close();
  tap = undefined;
});
afterAll(async () => {
  delete process.env.SANDBOX_CALLBACK_URL;
  await harness.close();
  await app.close();
});

type Api = ReturnType<typeof apiClient>;

async function merchantApi(): Promise<Api> {
  return apiClient(app, (await createTestMerchant()).secretKey);
}

async function confirmedIntent(api: Api, paymentMethod: string, extra: Record<string, unknown> = {}) {
  const pi = (await api.post('/api/v1/payment_intents', { amount: 2500, currency: 'eur', ...extra })).body;
  const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
    payment_method: paymentMethod,
    return_url: 'https://shop.example/return',
  });
  expect(confirmed.status).toBe(200);
  const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
  expect(attempt?.pspReference).toMatch(/^sbxpay_/);
  return { id: pi.id as string, status: confirmed.body.status as string, sandboxPaymentId: attempt!.pspReference! };
}

/** The cardholder answers the 3-D Secure challenge at the sandbox; nobody visits our return URL. */
async function completeChallengeAtSandbox(sandboxPaymentId: string): Promise<void> {
  const res = await fetch(`${app.url}/api/sandbox/card/v1/payments/${sandboxPaymentId}/3ds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ result: 'succeeded' }),
  });
  expect(res.status).toBe(200);
}

async function captureIntent(api: Api, id: string): Promise<void> {
  expect((await api.post(`/api/v1/payment_intents/${id}/capture`, {})).body.status).toBe('succeeded');
}

async function inboxRowsFor(sandboxPaymentId: string): Promise<PspInboxMessage[]> {
  return getDb()
    .select()
    .from(pspInbox)
    .where(sql`(${pspInbox.rawBody}::jsonb -> 'data' ->> 'id') = ${sandboxPaymentId}`)
    .orderBy(pspInbox.receivedAt);
}

const statusOf = (row: PspInboxMessage) => (JSON.parse(row.rawBody) as { data: { status: string } }).data.status;

/** Drives the engine until `count` callbacks of the payment are stored and processed. */
async function processedCallbacks(sandboxPaymentId: string, count: number): Promise<PspInboxMessage[]> {
  return harness.waitFor(async () => {
    const rows = await inboxRowsFor(sandboxPaymentId);
    return rows.length >= count && rows.every((r) => r.processedAt) ? rows : undefined;
  });
}

async function intentStatus(id: string): Promise<string | undefined> {
  const [pi] = await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, id));
  return pi?.status;
}

async function eventTypes(paymentIntentId: string): Promise<string[]> {
  const rows = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, paymentIntentId)).orderBy(outboxEvents.seq);
  return rows.map((r) => r.type);
}

async function applyRuns(inboxId: string) {
  return (await harness.runs()).filter(
    (r) => r.functionId.endsWith('apply-psp-callback') && (r.event as { data?: { inboxId?: string } }).data?.inboxId === inboxId,
  );
}

/** Records what the sandbox sends (event id, payment status, our answer) and passes it on to our route. */
async function tapCallbacks() {
  const seen: { eventId: string; status: string; answer: number }[] = [];
  tap = await startFetchServer(async (request) => {
    const rawBody = await request.text();
    const forwarded = await fetch(`${app.url}/api/psp/sandbox/callback`, { method: 'POST', headers: request.headers, body: rawBody });
    const event = JSON.parse(rawBody) as { id: string; data: { status: string } };
    seen.push({ eventId: event.id, status: event.data.status, answer: forwarded.status });
    return forwarded;
  });
  process.env.SANDBOX_CALLBACK_URL = `${tap.url}/callback`;
  return seen;
}

/** A stored callback's body under a new event id (the same news announced again). */
function resent(rawBody: string): { rawBody: string; eventId: string } {
  const eventId = `sbxevt_again_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  return { rawBody: JSON.stringify({ ...(JSON.parse(rawBody) as object), id: eventId }), eventId };
}

/** Lets in-flight callbacks land (for checks that something did NOT happen). */
const settle = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms));

function postCallback(rawBody: string, signature: string | undefined) {
  return fetch(`${app.url}/api/psp/sandbox/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'sandbox-signature': signature } : {}) },
    body: rawBody,
  });
}

describe('sandbox card callbacks', () => {
  it('stores a paid card payment’s callback once and applies it once', async () => {
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_visa');
    expect(pi.status).toBe('succeeded');
    const [row, ...more] = await processedCallbacks(pi.sandboxPaymentId, 1);
    expect(more).toHaveLength(0);
    expect(statusOf(row!)).toBe('captured');
    // the synchronous answer got there first: the callback confirms what is already recorded
    expect(row).toMatchObject({ psp: 'sandbox_card', outcome: 'stale', attempts: 1, processError: null });
    expect(row!.pspEventId).toMatch(/^sbxevt_/);
    expect(row!.headers['sandbox-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(row!.headers.authorization).toBeUndefined();
    // closed on receipt when the synchronous answer was recorded first, else by one background run
    expect((await applyRuns(row!.id)).length).toBeLessThanOrEqual(1);
    // the payment never waited for the PSP: no resolution, so nothing to announce to
    await harness.engine.drain();
    expect(announced.filter((a) => a.paymentIntentId === pi.id)).toEqual([]);
    expect((await eventTypes(pi.id)).filter((t) => t === 'payment_intent.succeeded')).toHaveLength(1);
    await assertPaymentInvariants(pi.id);
  });

  it('resolves a 3-D Secure payment from the callback alone, without the return URL visit', async () => {
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_threeDSecure2Required');
    expect(pi.status).toBe('requires_action');
    await completeChallengeAtSandbox(pi.sandboxPaymentId);
    await harness.waitFor(async () => (await intentStatus(pi.id)) === 'succeeded');
    const rows = await processedCallbacks(pi.sandboxPaymentId, 2);
    // requires_action was known from the synchronous answer; captured is what the callback brought
    expect(rows.map((r) => [statusOf(r), r.outcome]).sort()).toEqual([
      ['captured', 'apply'],
      ['requires_action', 'stale'],
    ]);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
    expect(attempt).toMatchObject({ status: 'succeeded', pspReference: pi.sandboxPaymentId });
    await assertPaymentInvariants(pi.id);
  });

  it('takes a duplicated callback into the inbox once, and applies it once', async () => {
    setSandboxCallbackFaults({ duplicate: true });
    const seen = await tapCallbacks();
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_threeDSecure2Required');
    await completeChallengeAtSandbox(pi.sandboxPaymentId);
    await harness.waitFor(async () => (await intentStatus(pi.id)) === 'succeeded' && seen.length >= 4);
    // each callback went out twice with the same event id (the two callbacks' sends may interleave)
    expect(seen.map((s) => [s.status, s.answer]).sort()).toEqual([
      ['captured', 200],
      ['captured', 200],
      ['requires_action', 200],
      ['requires_action', 200],
    ]);
    expect(new Set(seen.map((s) => s.eventId)).size).toBe(2);
    const rows = await processedCallbacks(pi.sandboxPaymentId, 2);
    expect(rows.map(statusOf).sort()).toEqual(['captured', 'requires_action']);
    // captured is news for a requires_action attempt: one background run; requires_action is no
    // news once the synchronous answer is recorded (closed on receipt), else one run
    expect(await applyRuns(rows.find((r) => statusOf(r) === 'captured')!.id)).toHaveLength(1);
    expect((await applyRuns(rows.find((r) => statusOf(r) === 'requires_action')!.id)).length).toBeLessThanOrEqual(1);
    const types = await eventTypes(pi.id);
    expect(types.filter((t) => t === 'payment_intent.succeeded')).toHaveLength(1);
    expect(types.filter((t) => t === 'payment_intent.requires_action')).toHaveLength(1);
    await assertPaymentInvariants(pi.id);
  });

  it('answers a redelivery of the same event 200, stores one row, and starts no run for it', async () => {
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_visa');
    const [original] = await processedCallbacks(pi.sandboxPaymentId, 1);
    const first = await postCallback(original!.rawBody, signCallback(original!.rawBody, sandboxCallbackSecret()));
    const second = await postCallback(original!.rawBody, signCallback(original!.rawBody, sandboxCallbackSecret()));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual({ received: true, duplicate: true });
    await harness.engine.drain();
    expect(await inboxRowsFor(pi.sandboxPaymentId)).toHaveLength(1);
    // the original delivery's (at most one) run; the processed row's redeliveries start none
    expect((await applyRuns(original!.id)).length).toBeLessThanOrEqual(1);
    await assertPaymentInvariants(pi.id);
  });

  it('closes a callback that brings no news where it is received: no run, no announcement', async () => {
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_visa');
    const [original] = await processedCallbacks(pi.sandboxPaymentId, 1);
    await harness.engine.drain();
    const runsBefore = (await harness.runs()).length;
    const announcedBefore = announced.length;
    // the same news again under a new event id, as a PSP that re-announces a state does
    const copy = resent(original!.rawBody);
    const res = await postCallback(copy.rawBody, signCallback(copy.rawBody, sandboxCallbackSecret()));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    // processed before the answer: no engine involved
    const [row] = await getDb().select().from(pspInbox).where(eq(pspInbox.pspEventId, copy.eventId));
    expect(row).toMatchObject({ outcome: 'stale', attempts: 1, processError: null, processedAt: expect.any(Date) });
    await harness.engine.drain();
    expect(await applyRuns(row!.id)).toHaveLength(0);
    expect((await harness.runs()).length).toBe(runsBefore);
    expect(announced.length).toBe(announcedBefore);
    expect(await processUnprocessedInbox({ olderThanMs: 0 })).toEqual([]);
    await assertPaymentInvariants(pi.id);
  });

  it('hands a no-news callback to the engine when a resolution waits for its announcement', async () => {
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_threeDSecure2Required');
    await completeChallengeAtSandbox(pi.sandboxPaymentId);
    await harness.waitFor(async () => (await intentStatus(pi.id)) === 'succeeded');
    const rows = await processedCallbacks(pi.sandboxPaymentId, 2);
    const captured = rows.find((r) => statusOf(r) === 'captured')!;
    // the payment waited for the PSP (requires_action): its resolution matches announcements
    const copy = resent(captured.rawBody);
    const announcedBefore = announced.filter((a) => a.paymentIntentId === pi.id).length;
    const res = await postCallback(copy.rawBody, signCallback(copy.rawBody, sandboxCallbackSecret()));
    expect(res.status).toBe(200);
    const [row] = await harness.waitFor(async () => {
      const found = await getDb().select().from(pspInbox).where(eq(pspInbox.pspEventId, copy.eventId));
      return found[0]?.processedAt ? found : undefined;
    });
    expect(row).toMatchObject({ outcome: 'stale', attempts: 1 });
    expect(await applyRuns(row!.id)).toHaveLength(1);
    await harness.waitFor(async () => announced.filter((a) => a.paymentIntentId === pi.id).length > announcedBefore);
    expect(announced.filter((a) => a.paymentIntentId === pi.id).at(-1)).toMatchObject({ status: 'succeeded' });
    await assertPaymentInvariants(pi.id);
  });

  it('announces a processed callback only when a resolution can be waiting for it', async () => {
    const api = await merchantApi();
    const paid = await confirmedIntent(api, 'pm_card_visa');
    const challenged = await confirmedIntent(api, 'pm_card_threeDSecure2Required');
    await completeChallengeAtSandbox(challenged.sandboxPaymentId);
    await harness.waitFor(async () => (await intentStatus(challenged.id)) === 'succeeded');
    const [paidRow] = await processedCallbacks(paid.sandboxPaymentId, 1);
    const challengedRow = (await processedCallbacks(challenged.sandboxPaymentId, 2)).find((r) => statusOf(r) === 'captured');
    // processed the background way (as the function and the sweep do), whatever the route would do
    for (const [row, awaited] of [
      [paidRow!, false],
      [challengedRow!, true],
    ] as const) {
      const copy = resent(row.rawBody);
      const stored = await storeInboxMessage({ psp: SANDBOX_PSP, pspEventId: copy.eventId, headers: {}, rawBody: copy.rawBody });
      const result = await processInboxMessage(stored.inboxId);
      expect(result).toMatchObject({ outcome: 'stale', announce: awaited, attempt: { status: 'succeeded' } });
      expect(appliedEvent(result) !== undefined).toBe(awaited);
    }
    // a result memoized before `announce` existed announces as it did
    expect(appliedEvent({ inboxId: 'inbox_old', outcome: 'stale', attempt: { paymentIntentId: paid.id, attemptId: 'att_old', status: 'succeeded' } })).toBeDefined();
  });

  it('applies the newer state when an older callback arrives after it, and the older one changes nothing', async () => {
    setSandboxCallbackFaults({ reorder: true });
    const seen = await tapCallbacks();
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_threeDSecure2Required');
    await settle(300);
    expect(seen).toEqual([]); // held until the payment's next change
    await completeChallengeAtSandbox(pi.sandboxPaymentId);
    const rows = await processedCallbacks(pi.sandboxPaymentId, 2);
    expect(seen.map((s) => s.status)).toEqual(['captured', 'requires_action']);
    // captured was received first; the held requires_action is stale whenever it is processed
    expect(rows.map((r) => [statusOf(r), r.outcome])).toEqual([
      ['captured', 'apply'],
      ['requires_action', 'stale'],
    ]);
    expect(await intentStatus(pi.id)).toBe('succeeded');
    const types = await eventTypes(pi.id);
    expect(types.filter((t) => t === 'payment_intent.succeeded')).toHaveLength(1);
    expect(types.at(-1)).toBe('payment_intent.succeeded');
    await assertPaymentInvariants(pi.id);
  });

  it('keeps a manually captured payment captured when its authorized callback arrives last', async () => {
    setSandboxCallbackFaults({ reorder: true });
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_visa', { capture_method: 'manual' });
    expect(pi.status).toBe('requires_capture');
    await captureIntent(api, pi.id);
    const rows = await processedCallbacks(pi.sandboxPaymentId, 2);
    expect(rows.map(statusOf)).toEqual(['captured', 'authorized']);
    // the capture flow records its own capture; the late authorization is older news
    expect(['left_to_capture_flow', 'stale']).toContain(rows[0]!.outcome);
    expect(rows[1]!.outcome).toBe('stale');
    const [intent] = await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, pi.id));
    expect(intent).toMatchObject({ status: 'succeeded', amountReceived: 2500, amountCapturable: 0 });
    expect((await eventTypes(pi.id)).filter((t) => t === 'payment_intent.succeeded')).toHaveLength(1);
    await assertPaymentInvariants(pi.id);
  });

  it('finds the attempt by its idempotency key when the callback beats the PSP’s synchronous answer', async () => {
    // While the confirm runs, the acquirer answers payment requests too slowly for our timeout;
    // the callback does not wait. Asked again afterwards (with the attempt's Idempotency-Key,
    // because the callback's own claim is not trusted), it answers at once with that payment.
    let slow = true;
    const slowAcquirer = await startFetchServer(async (request) => {
      const url = new URL(request.url);
      const body = request.method === 'POST' ? await request.text() : undefined;
      const answer = await fetch(`${app.url}${url.pathname}`, { method: request.method, headers: request.headers, body });
      if (url.pathname.endsWith('/payments') && slow) await new Promise((resolve) => setTimeout(resolve, 400));
      return answer;
    });
    process.env.SANDBOX_CARD_URL = slowAcquirer.url;
    process.env.PSP_TIMEOUT_MS = '150';
    resetEnvCache();
    resetCardPsp();
    try {
      const api = await merchantApi();
      const pi = (await api.post('/api/v1/payment_intents', { amount: 2500, currency: 'eur' })).body;
      const confirmed = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
      slow = false;
      expect(confirmed.status).toBe(502);
      const [pending] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
      expect(pending).toMatchObject({ status: 'pending', pspReference: null });
      expect(await intentStatus(pi.id)).toBe('processing');
      await harness.waitFor(async () => (await intentStatus(pi.id)) === 'succeeded');
      const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
      expect(attempt).toMatchObject({ status: 'succeeded', pspReference: expect.stringMatching(/^sbxpay_/) });
      const rows = await processedCallbacks(attempt!.pspReference!, 1);
      expect(rows.map((r) => r.outcome)).toEqual(['apply']);
      await assertPaymentInvariants(pi.id);
    } finally {
      process.env.SANDBOX_CARD_URL = app.url;
      delete process.env.PSP_TIMEOUT_MS;
      resetEnvCache();
      resetCardPsp();
      await slowAcquirer.close();
    }
  });

  it('refuses a missing, wrong or stale signature with 400 and stores nothing', async () => {
    const body = JSON.stringify({ id: `sbxevt_forged_${Date.now()}`, type: 'payment.updated', created: 0, data: {} });
    const before = (await getDb().select().from(pspInbox)).length;
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const attempts = [
      await postCallback(body, undefined),
      await postCallback(body, signCallback(body, 'not-the-secret')),
      await postCallback(body, signCallback(body, sandboxCallbackSecret(), stale)),
      await postCallback(`${body} `, signCallback(body, sandboxCallbackSecret())),
      await postCallback(body, 't=abc,v1=zz'),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(400);
      expect((await res.json()).error.type).toBe('invalid_request_error');
    }
    expect(await getDb().select().from(pspInbox)).toHaveLength(before);
  });

  it('sends nothing when callbacks are dropped (the polling workflow covers that)', async () => {
    setSandboxCallbackFaults({ drop: true });
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_visa');
    await settle();
    expect(await inboxRowsFor(pi.sandboxPaymentId)).toHaveLength(0);
    await assertPaymentInvariants(pi.id);
  });

  it('lets an acquirer-key holder switch faults on a running server', async () => {
    const switchFaults = (body: unknown, key?: string) =>
      fetch(`${app.url}/api/sandbox/card/v1/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await switchFaults({ drop: true })).status).toBe(401);
    expect((await switchFaults({ drop: true }, 'pk_test_sandbox_local')).status).toBe(401);
    expect((await switchFaults({ delayMs: -1 }, process.env.SANDBOX_ACQUIRER_KEY)).status).toBe(400);
    const res = await switchFaults({ drop: true }, process.env.SANDBOX_ACQUIRER_KEY);
    expect(await res.json()).toEqual({ object: 'callback_faults', drop: true, duplicate: false, delayMs: 0, reorder: false });
    const pi = await confirmedIntent(await merchantApi(), 'pm_card_visa');
    await settle();
    expect(await inboxRowsFor(pi.sandboxPaymentId)).toHaveLength(0);
  });

  it('the sweep processes a stored callback whose engine event was lost', async () => {
    setSandboxCallbackFaults({ drop: true });
    const api = await merchantApi();
    const pi = await confirmedIntent(api, 'pm_card_threeDSecure2Required');
    await completeChallengeAtSandbox(pi.sandboxPaymentId);
    // the callback the sandbox would have sent, stored by the route while the engine was unreachable
    const payment = await fetch(`${app.url}/api/sandbox/card/v1/payments/${pi.sandboxPaymentId}`, {
      headers: { authorization: `Bearer ${process.env.SANDBOX_ACQUIRER_KEY}` },
    }).then((res) => res.json());
    expect(payment.status).toBe('captured');
    const captured = JSON.stringify({ id: `sbxevt_lost_${Date.now()}`, object: 'event', type: 'payment.updated', created: Math.floor(Date.now() / 1000), data: payment });
    const headers = new Headers({ 'sandbox-signature': signCallback(captured, sandboxCallbackSecret()) });
    const stored = await receiveSandboxCallback({ rawBody: captured, headers }, async () => {
      throw new Error('engine unreachable');
    });
    expect(stored.duplicate).toBe(false);
    expect(await intentStatus(pi.id)).toBe('requires_action');
    const results = await processUnprocessedInbox({ olderThanMs: 0 });
    expect(results.find((r) => r.inboxId === stored.inboxId)).toMatchObject({ outcome: 'apply', attempt: { status: 'succeeded' } });
    expect(await intentStatus(pi.id)).toBe('succeeded');
    expect(await processUnprocessedInbox({ olderThanMs: 0 })).toEqual([]);
    await assertPaymentInvariants(pi.id);
  });
});
