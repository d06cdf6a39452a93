import { spawn } from 'node:child_process';
import path from 'node:path';
import { isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { relayOutboxBatch } from '@/lib/events/relay';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

const root = path.resolve(import.meta.dirname, '../..');
let app: TestApp;
let harness: Harness;
let receiver: FetchServer;
const received: { id: string; type: string }[] = [];

beforeAll(async () => {
  // The merchant's receiver is a local server: allow internal webhook URLs (SSRF protection refuses
  // them otherwise; tests/security/ssrf.test.ts covers that).
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
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

describe('the outbox relay killed with SIGKILL between sending and committing', () => {
  it('re-sends on restart and the event is delivered once', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    await api.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/hooks`, enabled_events: ['payment_intent.succeeded'] });
    const pi = (await api.post('/api/v1/payment_intents', { amount: 2_500, currency: 'usd' })).body;
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' })).body.status).toBe(
      'succeeded',
    );

    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/relay-crash-child.ts'], {
      cwd: root,
      env: { ...process.env, ENGINE_EVENT_URL: `${harness.engine.url}/e/${harness.eventKey}` },
      stdio: 'ignore',
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    // the engine has the events, but the outbox never learned they were sent
    expect((await getDb().select().from(outboxEvents).where(isNull(outboxEvents.sentAt))).length).toBeGreaterThan(0);

    // the relay of the restarted app sends them again, with the same event ids
    expect(await relayOutboxBatch((events) => harness.client.send(events).then(() => undefined))).toBeGreaterThan(0);
    expect(await getDb().select().from(outboxEvents).where(isNull(outboxEvents.sentAt))).toHaveLength(0);
    await harness.waitFor(async () => received.length >= 1);
    await harness.engine.drain();
    expect(received.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
    // one delivery (the restarted relay found the one the killed relay created) and one run for it
    const runs = (await getDb().execute(
      sql`select d.id, (select count(*)::int from engine_runs r where r.event->'data'->>'deliveryId' = d.id) as n
          from webhook_deliveries d join outbox_events e on e.id = d.event_id
          where e.aggregate_id = ${pi.id} and e.type = 'payment_intent.succeeded'`,
    )) as unknown as { id: string; n: number }[];
    expect(runs.map((r) => r.n)).toEqual([1]);
  });
});
