import { eq, isNull, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from '@/db/schema';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { defineFunctions } from '@/inngest';
import { WEBHOOK_DELIVERY_REQUESTED } from '@/inngest/events';
import { relayOutboxBatch, toRelayedEvent, type RelayedEvent } from '@/lib/events/relay';
import { attemptDelivery, fanOutEvent } from '@/lib/webhooks/deliveries';
import { verifyWebhookSignature } from '@/lib/webhooks/signature';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let harness: Harness | undefined;
const servers: FetchServer[] = [];

beforeAll(async () => {
  process.env.WEBHOOK_RETRY_DELAYS_MS = '200,200,200';
  // The merchant's receiver is a local server: allow internal webhook URLs (SSRF protection refuses
  // them otherwise; tests/security/ssrf.test.ts covers that).
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  app = await startTestApp();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  while (servers.length) await servers.pop()!.close();
});
afterAll(async () => {
  delete process.env.WEBHOOK_RETRY_DELAYS_MS;
  delete process.env.WEBHOOK_ALLOW_PRIVATE_URLS;
  await app.close();
});

interface Received {
  body: string;
  signature: string | null;
}

/** A merchant's webhook receiver: answers with the given statuses in turn, then 200. */
async function merchantReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = await startFetchServer(async (req) => {
    received.push({ body: await req.text(), signature: req.headers.get('pay-signature') });
    const status = statuses.shift() ?? 200;
    return new Response(status === 200 ? 'ok' : 'server exploded', { status });
  });
  servers.push(server);
  return { url: `${server.url}/hooks`, received };
}

const relayTo = (h: Harness) => (events: RelayedEvent[]) => h.client.send(events).then(() => undefined);

async function setup(statuses: number[] = [], enabledEvents = ['payment_intent.succeeded']) {
  harness = await startHarness((client) => defineFunctions(client));
  const merchant = await createTestMerchant();
  const api = apiClient(app, merchant.secretKey);
  const receiver = await merchantReceiver(statuses);
  const endpoint = await api.post('/api/v1/webhook_endpoints', { url: receiver.url, enabled_events: enabledEvents });
  expect(endpoint.status).toBe(200);
  expect(endpoint.body.secret).toMatch(/^whsec_/);
  return { merchant, api, receiver, secret: endpoint.body.secret as string, endpointId: endpoint.body.id as string };
}

async function paySucceeded(api: ReturnType<typeof apiClient>) {
  const pi = (await api.post('/api/v1/payment_intents', { amount: 4200, currency: 'eur' })).body;
  const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
  expect(res.body.status).toBe('succeeded');
  const [event] = await getDb()
    .select()
    .from(outboxEvents)
    .where(sql`${outboxEvents.aggregateId} = ${pi.id} and ${outboxEvents.type} = 'payment_intent.succeeded'`);
  return { pi, eventId: event!.id };
}

describe('webhook endpoints API', () => {
  it('shows the secret once, lists and deletes endpoints, and validates input', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    const created = await api.post('/api/v1/webhook_endpoints', { url: 'https://merchant.example/hooks', enabled_events: ['*'] });
    expect(created.body).toMatchObject({ object: 'webhook_endpoint', status: 'enabled', enabled_events: ['*'] });
    const listed = await api.get('/api/v1/webhook_endpoints');
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0].secret).toBeUndefined();
    expect((await api.get(`/api/v1/webhook_endpoints/${created.body.id}`)).body.secret).toBeUndefined();
    for (const bad of [{ url: 'ftp://x.example', enabled_events: ['*'] }, { url: 'https://x.example', enabled_events: ['charge.made'] }, { url: 'https://x.example', enabled_events: [] }]) {
      expect((await api.post('/api/v1/webhook_endpoints', bad)).status).toBe(400);
    }
    const other = apiClient(app, (await createTestMerchant()).secretKey);
    expect((await other.get(`/api/v1/webhook_endpoints/${created.body.id}`)).status).toBe(404);
    const del = await fetch(`${app.url}/api/v1/webhook_endpoints/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${m.secretKey}` } });
    expect(await del.json()).toEqual({ id: created.body.id, object: 'webhook_endpoint', deleted: true });
    expect((await api.get('/api/v1/webhook_endpoints')).body.data).toHaveLength(0);
  });
});

describe('webhook delivery through the engine', () => {
  it('signs each delivery, retries 500 then 200 with backoff, and records every attempt', async () => {
    const { api, receiver, secret, endpointId } = await setup([500, 500]);
    const { eventId } = await paySucceeded(api);
    expect(await relayOutboxBatch(relayTo(harness!))).toBeGreaterThan(0);
    await harness!.waitFor(async () => receiver.received.length >= 3);
    const event = await harness!.waitFor(async () => {
      const res = await api.get(`/api/v1/events/${eventId}`);
      return res.body.deliveries?.[0]?.status === 'succeeded' ? res.body : undefined;
    });
    expect(event.deliveries[0].attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(event.deliveries[0].attempts[0]).toMatchObject({ trigger: 'schedule', response_excerpt: 'server exploded' });
    expect(event.deliveries[0].attempts[2].latency_ms).toEqual(expect.any(Number));
    for (const r of receiver.received) {
      const parsed = verifyWebhookSignature<{ id: string; type: string }>(r.body, r.signature, secret);
      expect(parsed).toMatchObject({ id: eventId, type: 'payment_intent.succeeded' });
    }
    // the two failures counted on the endpoint; the success ended the run
    const [endpoint] = await getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    expect(endpoint).toMatchObject({ status: 'enabled', consecutiveFailures: 0 });
  });

  it('a delivery to a healthy endpoint records its attempt and leaves the endpoint row unwritten', async () => {
    const { api, receiver, endpointId } = await setup();
    const version = async () => (await getDb().execute<{ xmin: string }>(sql`select xmin::text from webhook_endpoints where id = ${endpointId}`))[0]!.xmin;
    const before = await version();
    const { eventId } = await paySucceeded(api);
    await relayOutboxBatch(relayTo(harness!));
    const delivery = await harness!.waitFor(async () => {
      const [d] = await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
      return d?.status === 'succeeded' ? d : undefined;
    });
    expect(delivery).toMatchObject({ attemptCount: 1, lastStatusCode: 200, nextAttemptAt: null });
    const attempts = await getDb().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, delivery.id));
    expect(attempts).toMatchObject([{ attemptNumber: 1, trigger: 'schedule', statusCode: 200, responseExcerpt: 'ok', error: null }]);
    expect(receiver.received).toHaveLength(1);
    expect(await version()).toBe(before);
  });

  it('each delivery carries pending_webhooks: the event\'s deliveries not yet acknowledged, its own included', async () => {
    const { api, receiver } = await setup();
    const second = await merchantReceiver();
    expect((await api.post('/api/v1/webhook_endpoints', { url: second.url, enabled_events: ['payment_intent.succeeded'] })).status).toBe(200);
    const { eventId } = await paySucceeded(api);
    const deliveryIds = await fanOutEvent(eventId);
    expect(deliveryIds).toHaveLength(2);
    const receivers = new Map([[receiver.url, receiver], [second.url, second]]);
    const deliveries = await getDb()
      .select({ id: webhookDeliveries.id, url: webhookEndpoints.url })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.eventId, eventId));
    // the first sent still has both pending, the second only itself; the API counts the same
    expect((await api.get(`/api/v1/events/${eventId}`)).body.pending_webhooks).toBe(2);
    for (const [i, expected] of [2, 1].entries()) {
      const d = deliveries[i]!;
      expect(await attemptDelivery(d.id)).toMatchObject({ delivered: true, attemptNumber: 1 });
      expect(JSON.parse(receivers.get(d.url)!.received[0]!.body).pending_webhooks).toBe(expected);
      expect((await api.get(`/api/v1/events/${eventId}`)).body.pending_webhooks).toBe(expected - 1);
    }
  });

  it('the failure that reaches the limit disables the endpoint with the reason, and no retry goes out', async () => {
    const { api, receiver, endpointId } = await setup([500, 500, 500]);
    await getDb().update(webhookEndpoints).set({ consecutiveFailures: 49 }).where(eq(webhookEndpoints.id, endpointId));
    const { eventId } = await paySucceeded(api);
    await relayOutboxBatch(relayTo(harness!));
    const endpoint = await harness!.waitFor(async () => {
      const [e] = await getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
      return e?.status === 'disabled' ? e : undefined;
    });
    expect(endpoint.consecutiveFailures).toBe(50);
    expect(endpoint.disabledReason).toBe('Disabled after 50 consecutive failed delivery attempts (last: HTTP 500).');
    const [delivery] = await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
    // the run's next attempt, after its sleep, finds the endpoint disabled and sends nothing
    const run = await harness!.waitFor(async () => {
      const [r] = await getDb().execute<{ status: string; output: unknown }>(
        sql`select status, output from engine_runs where event->'data'->>'deliveryId' = ${delivery!.id} and status = 'completed'`,
      );
      return r;
    });
    expect(run.output).toMatchObject({ delivered: false, skipped: true, attempts: 1 });
    expect(receiver.received).toHaveLength(1);
    const [after] = await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery!.id));
    expect(after).toMatchObject({ status: 'pending', attemptCount: 1, lastStatusCode: 500 });
  });

  it('delivers only subscribed event types', async () => {
    const { api, receiver } = await setup([], ['payment_intent.canceled']);
    const pi = (await api.post('/api/v1/payment_intents', { amount: 100, currency: 'usd' })).body;
    await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {});
    await relayOutboxBatch(relayTo(harness!));
    await harness!.waitFor(async () => receiver.received.length >= 1);
    await harness!.engine.drain();
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(['payment_intent.canceled']);
  });

  it('a crash between sending and marking the outbox re-sends, and the event is still delivered once', async () => {
    const { api, receiver } = await setup();
    const { eventId } = await paySucceeded(api);
    const crashAfterSend = async (events: RelayedEvent[]) => {
      await relayTo(harness!)(events);
      throw new Error('SIGKILL before commit');
    };
    await expect(relayOutboxBatch(crashAfterSend)).rejects.toThrow('SIGKILL');
    expect(await getDb().select().from(outboxEvents).where(isNull(outboxEvents.sentAt))).not.toHaveLength(0);
    expect(await relayOutboxBatch(relayTo(harness!))).toBeGreaterThan(0);
    expect(await getDb().select().from(outboxEvents).where(isNull(outboxEvents.sentAt))).toHaveLength(0);
    await harness!.waitFor(async () => receiver.received.length >= 1);
    await harness!.engine.drain();
    expect(receiver.received).toHaveLength(1);
    // the re-sent batch found the delivery the first one created and requested it under the same
    // event id: one delivery, one run
    const deliveries = await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
    expect(deliveries).toHaveLength(1);
    const runs = await harness!.runs();
    expect(runs.filter((r) => (r.event as { data?: { deliveryId?: string } }).data?.deliveryId === deliveries[0]!.id)).toHaveLength(1);
    expect(runs.filter((r) => r.functionId.includes('webhook-fan-out'))).toHaveLength(0);
  });

  it('the relay creates the deliveries, committed before it requests them, and starts no fan-out run', async () => {
    const { api, receiver, endpointId } = await setup();
    const { eventId } = await paySucceeded(api);
    const requested: RelayedEvent[] = [];
    const inspect = async (events: RelayedEvent[]) => {
      for (const e of events.filter((e) => e.name === WEBHOOK_DELIVERY_REQUESTED)) {
        // read on another connection than the relay's transaction: the run may start before it commits
        const [d] = await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, e.data.deliveryId as string));
        expect(d).toMatchObject({ eventId, endpointId, status: 'pending' });
        expect(e.id).toBe(`delivery-${d!.id}`);
        requested.push(e);
      }
      await relayTo(harness!)(events);
    };
    while ((await relayOutboxBatch(inspect)) > 0);
    expect(requested).toHaveLength(1); // the payment's other events are not subscribed
    await harness!.waitFor(async () => receiver.received.length >= 1);
    await harness!.engine.drain();
    expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual([eventId]);
    expect((await harness!.runs()).filter((r) => r.functionId.includes('webhook-fan-out'))).toHaveLength(0);
  });

  it('an event an older relay marked for the fan-out function (an upgrade\'s backlog) is still delivered once', async () => {
    const { api, receiver } = await setup();
    const { eventId } = await paySucceeded(api);
    const [row] = await getDb().update(outboxEvents).set({ sentAt: new Date() }).where(eq(outboxEvents.id, eventId)).returning();
    const relayed = toRelayedEvent(row!);
    await relayTo(harness!)([{ ...relayed, data: { ...relayed.data, webhookSubscribed: true } }]);
    await harness!.waitFor(async () => receiver.received.length >= 1);
    await harness!.engine.drain();
    expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual([eventId]);
    expect((await harness!.runs()).filter((r) => r.functionId.endsWith('webhook-fan-out'))).toHaveLength(1);
  });

  it('gives up after the schedule, disables the endpoint with the reason, and a manual redelivery is recorded', async () => {
    const { api, receiver, endpointId } = await setup([503, 503, 503, 503]);
    const { eventId } = await paySucceeded(api);
    await relayOutboxBatch(relayTo(harness!));
    const endpoint = await harness!.waitFor(async () => {
      const [e] = await getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
      return e?.status === 'disabled' ? e : undefined;
    });
    expect(endpoint.disabledReason).toMatch(/failed for 3 days/);
    expect(receiver.received).toHaveLength(4);
    const redelivered = await api.post(`/api/v1/events/${eventId}/redeliver`, {});
    expect(redelivered.status).toBe(200);
    expect(redelivered.body.data[0].attempts.at(-1)).toMatchObject({ trigger: 'manual', status_code: 200 });
    expect(redelivered.body.data[0].attempts).toHaveLength(5);
    const rows = await getDb().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, redelivered.body.data[0].id));
    expect(rows).toHaveLength(5);
  });

  it('lists events newest first and hides other merchants’ events', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    const pi = (await api.post('/api/v1/payment_intents', { amount: 100, currency: 'usd' })).body;
    await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {});
    const list = await api.get('/api/v1/events?limit=1');
    expect(list.body).toMatchObject({ object: 'list', has_more: true });
    expect(list.body.data[0]).toMatchObject({ object: 'event', type: 'payment_intent.canceled' });
    const older = await api.get(`/api/v1/events?starting_after=${list.body.data[0].id}`);
    expect(older.body.data.map((e: { type: string }) => e.type)).toEqual(['payment_intent.created']);
    const other = apiClient(app, (await createTestMerchant()).secretKey);
    expect((await other.get(`/api/v1/events/${list.body.data[0].id}`)).status).toBe(404);
  });
});
