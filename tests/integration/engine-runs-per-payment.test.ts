import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
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

  it('fans out only the event types an endpoint subscribes to, and sees a new endpoint at once', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    await api.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/only-succeeded`, enabled_events: ['payment_intent.succeeded'] });
    const first = await cardPayment(m.secretKey);
    await relayAll();
    await harness.engine.drain();
    expect(fanOutRuns(await runsOfPayment(first))).toBe(1); // succeeded, not created
    expect(received.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);

    // an endpoint created now is used by the next relay batch (no cache to invalidate)
    await api.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/all`, enabled_events: ['*'] });
    const second = await cardPayment(m.secretKey);
    await relayAll();
    await harness.engine.drain();
    const runs = await runsOfPayment(second);
    expect(fanOutRuns(runs)).toBeGreaterThanOrEqual(2); // created and succeeded (and any charge events)
    expect(received.filter((e) => e.type === 'payment_intent.created')).toHaveLength(1);
    expect(received.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(3); // once per endpoint
  });
});
