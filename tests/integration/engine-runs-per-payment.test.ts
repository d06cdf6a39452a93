import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { resetEnvCache } from '@/lib/env';
import { defineFunctions } from '@/inngest';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Engine runs per payment, counted (not timed): every run is a serve call, a claim and its
 * statements, so a run that does nothing is pure cost. Before the relay marked subscribed events,
 * each outbox event of a payment started a webhook-fan-out run even when the merchant had no
 * endpoint (a card payment: 3 fan-out runs out of 5).
 */
let app: TestApp;
let harness: Harness;
let receiver: FetchServer;
const received: { id: string; type: string }[] = [];

beforeAll(async () => {
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true'; // the receiver is local
  app = await startTestApp();
  harness = await startHarness((client) => defineFunctions(client));
  receiver = await startFetchServer(async (req) => {
    received.push((await req.json()) as { id: string; type: string });
    return new Response('ok');
  });
});
afterAll(async () => {
  await harness.close();
  await receiver.close();
  await app.close();
});

const relayAll = async () => {
  while ((await relayOutboxBatch((events: RelayedEvent[]) => harness.client.send(events).then(() => undefined))) > 0);
};

/** Runs started by the payment's events, by function (the deliveries they request included). */
async function runsOfPayment(paymentIntentId: string): Promise<Record<string, number>> {
  const rows = (await getDb().execute(sql`
    select r.function_id as fn, count(*)::int as n from engine_runs r
    where r.event->'data'->>'paymentIntentId' = ${paymentIntentId}
       or r.event->'data'->>'deliveryId' in (
         select d.id from webhook_deliveries d join outbox_events e on e.id = d.event_id
         where e.aggregate_id = ${paymentIntentId} or e.data->'object'->>'payment_intent' = ${paymentIntentId})
    group by r.function_id`)) as unknown as { fn: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.fn.replace(`${harness.client.id}-`, ''), r.n]));
}

async function cardPayment(secretKey: string): Promise<string> {
  const api = apiClient(app, secretKey);
  const pi = (await api.post('/api/v1/payment_intents', { amount: 1_800, currency: 'usd' })).body;
  const confirmed = (await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })).body;
  expect(confirmed.status).toBe('succeeded');
  return pi.id as string;
}

const fanOutRuns = (runs: Record<string, number>) =>
  Object.entries(runs)
    .filter(([fn]) => fn.startsWith('webhook-fan-out'))
    .reduce((sum, [, n]) => sum + n, 0);

describe('engine runs per payment', () => {
  it('starts no fan-out run for a merchant without webhook endpoints', async () => {
    const m = await createTestMerchant();
    const piId = await cardPayment(m.secretKey);
    await relayAll();
    await harness.engine.drain();
    const runs = await runsOfPayment(piId);
    expect(fanOutRuns(runs)).toBe(0);
    expect(runs['ledger-post-capture']).toBe(1); // the consumers that do work still run
    // measured 5 before (3 fan-out runs: created, succeeded, charge.succeeded), 2 after: the
    // ledger posting and the receipt
    expect(Object.values(runs).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
  });

  it("answers each of a payment's runs in one serve call, its steps sent with the result (no checkpoint)", async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    await api.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/calls`, enabled_events: ['payment_intent.succeeded'] });
    await relayAll();
    await harness.engine.drain();
    const callsBefore = harness.traffic.serveCalls;
    const checkpointsBefore = harness.traffic.checkpointStatuses.length;
    const piId = await cardPayment(m.secretKey);
    await relayAll();
    await harness.engine.drain();
    const runs = await runsOfPayment(piId);
    // delivery, ledger posting, receipt (1 step each); the relay created and requested the delivery
    // itself (measured before: a webhook-fan-out run of 2 steps, a 4th serve call, per event)
    expect(runs).toMatchObject({ 'webhook-deliver': 1, 'ledger-post-capture': 1, 'send-receipt': 1 });
    expect(fanOutRuns(runs)).toBe(0);
    const runCount = Object.values(runs).reduce((a, b) => a + b, 0);
    // measured before (one step per checkpoint): 4 serve calls and 5 checkpoints for 4 runs
    expect(harness.traffic.serveCalls - callsBefore).toBe(runCount);
    expect(harness.traffic.checkpointStatuses.length - checkpointsBefore).toBe(0);
    // and every step was still recorded once
    const steps = (await getDb().execute(sql`
      select count(*)::int as n from engine_steps s join engine_runs r on r.id = s.run_id
      where r.event->'data'->>'paymentIntentId' = ${piId}
         or r.event->'data'->>'deliveryId' in (select d.id from webhook_deliveries d join outbox_events e on e.id = d.event_id
                                              where e.aggregate_id = ${piId})`)) as unknown as { n: number }[];
    expect(steps[0]?.n).toBe(3);
    // the webhook went out once (the other tests count this list from empty)
    expect(received.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
    received.length = 0;
  });

  it('a failed delivery still sleeps and retries with its steps sent with the sleep: each attempt made once', async () => {
    process.env.WEBHOOK_RETRY_DELAYS_MS = '300';
    resetEnvCache();
    let calls = 0;
    const flaky = await startFetchServer(async () => new Response(calls++ === 0 ? 'down' : 'ok', { status: calls === 1 ? 500 : 200 }));
    try {
      const m = await createTestMerchant();
      const api = apiClient(app, m.secretKey);
      await api.post('/api/v1/webhook_endpoints', { url: `${flaky.url}/hooks`, enabled_events: ['payment_intent.succeeded'] });
      const piId = await cardPayment(m.secretKey);
      await relayAll();
      await harness.waitFor(async () => {
        const [d] = (await getDb().execute(sql`
          select d.status from webhook_deliveries d join outbox_events e on e.id = d.event_id
          where e.aggregate_id = ${piId}`)) as unknown as { status: string }[];
        return d?.status === 'succeeded';
      });
      await harness.engine.drain();
      expect(calls).toBe(2);
      const attempts = (await getDb().execute(sql`
        select a.status_code from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
        join outbox_events e on e.id = d.event_id where e.aggregate_id = ${piId} order by a.attempt_number`)) as unknown as {
        status_code: number;
      }[];
      expect(attempts.map((a) => a.status_code)).toEqual([500, 200]);
      const steps = (await getDb().execute(sql`
        select s.step_id from engine_steps s join engine_runs r on r.id = s.run_id
        where r.function_id like '%webhook-deliver' and r.event->'data'->>'deliveryId' in (
          select d.id from webhook_deliveries d join outbox_events e on e.id = d.event_id where e.aggregate_id = ${piId})
        order by s.seq`)) as unknown as { step_id: string }[];
      expect(steps).toHaveLength(4); // attempt-1, schedule-1, the sleep, attempt-2 (ids are hashed)
    } finally {
      delete process.env.WEBHOOK_RETRY_DELAYS_MS;
      resetEnvCache();
      await flaky.close();
    }
  });

  it('requests deliveries only for the event types an endpoint subscribes to, and sees a new endpoint at once', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    await api.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/only-succeeded`, enabled_events: ['payment_intent.succeeded'] });
    const first = await cardPayment(m.secretKey);
    await relayAll();
    await harness.engine.drain();
    const firstRuns = await runsOfPayment(first);
    expect(firstRuns['webhook-deliver']).toBe(1); // succeeded, not created
    expect(fanOutRuns(firstRuns)).toBe(0);
    expect(received.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);

    // an endpoint created now is used by the next relay batch (no cache to invalidate)
    await api.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/all`, enabled_events: ['*'] });
    const second = await cardPayment(m.secretKey);
    await relayAll();
    await harness.engine.drain();
    const runs = await runsOfPayment(second);
    // created (one endpoint), succeeded (both) and the charge events (one endpoint)
    expect(runs['webhook-deliver']).toBeGreaterThanOrEqual(3);
    expect(fanOutRuns(runs)).toBe(0);
    expect(received.filter((e) => e.type === 'payment_intent.created')).toHaveLength(1);
    expect(received.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(3); // once per endpoint
  });
});
