import { randomUUID } from 'node:crypto';
import { InngestTestEngine } from '@inngest/test';
import { eq } from 'drizzle-orm';
import { Inngest } from 'inngest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { deadLetters } from '@/db/schema';
import { inngest } from '@/inngest/client';
import { defineRecordDeadLetter } from '@/inngest/functions/record-dead-letter';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '@/tests/helpers/test-app';

// Dead letters as a product feature on real Inngest: the recorder consumes the
// "inngest/function.failed" event in the shape Inngest Cloud sends it, and a replay re-sends the
// failed event to Inngest's event API. (The embedded engine's path is in engine-reliability.test.ts.)

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const client = new Inngest({ id: 'paykit-dead-letter-test', isDev: true });

/** The system event as real Inngest sends it (docs: reference/system-events/inngest-function-failed). */
function functionFailedEvent(merchantId: string, runId: string) {
  return {
    name: 'inngest/function.failed',
    data: {
      error: { __serialized: true, error: 'invalid status code: 500', message: 'psp down', name: 'Error', stack: 'Error: psp down\n    at x' },
      event: {
        id: `evt_${randomUUID()}`,
        name: 'payment_intent.succeeded',
        ts: Date.now(),
        data: { eventId: `evt_${randomUUID()}`, merchantId, aggregateType: 'payment_intent', aggregateId: 'pi_1' },
      },
      function_id: 'paykit-ledger-post-capture',
      run_id: runId,
    },
  };
}

async function recordFromInngest(event: ReturnType<typeof functionFailedEvent>) {
  const t = new InngestTestEngine({ function: defineRecordDeadLetter(client), events: [event] });
  const { result, error } = await t.execute();
  expect(error).toBeUndefined();
  return result as { id: string; created: boolean };
}

describe('dead letters from real Inngest', () => {
  it('records one dead letter per failed run from the inngest/function.failed event, however often it arrives', async () => {
    const m = await createTestMerchant();
    const other = await createTestMerchant();
    const runId = `01J${randomUUID().replaceAll('-', '').slice(0, 23).toUpperCase()}`;
    const event = functionFailedEvent(m.merchant.id, runId);

    const first = await recordFromInngest(event);
    const again = await recordFromInngest(event);
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });

    const rows = await getDb().select().from(deadLetters).where(eq(deadLetters.runId, runId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      functionId: 'paykit-ledger-post-capture',
      eventName: 'payment_intent.succeeded',
      merchantId: m.merchant.id,
      payload: event.data.event,
      replayedAt: null,
    });
    expect(rows[0]?.error).toMatchObject({ message: 'psp down', name: 'Error' });

    const listed = await apiClient(app, m.secretKey).get('/api/v1/dead_letters');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((d: any) => d.id)).toEqual([first.id]);
    expect(listed.body.data[0]).toMatchObject({ object: 'dead_letter', function: 'paykit-ledger-post-capture', event_name: 'payment_intent.succeeded' });
    expect((await apiClient(app, other.secretKey).get('/api/v1/dead_letters')).body.data).toEqual([]);
  });

  it('a failed batch run leaves one dead letter per event, each listed only to its own merchant, recorded once however often the failure arrives', async () => {
    const a = await createTestMerchant();
    const b = await createTestMerchant();
    const runId = `01J${randomUUID().replaceAll('-', '').slice(0, 23).toUpperCase()}`;
    const first = functionFailedEvent(a.merchant.id, runId);
    const second = functionFailedEvent(b.merchant.id, runId).data.event;
    // the embedded engine's failure event of a batch run names all its events (data.event is the first)
    const event = { ...first, data: { ...first.data, events: [first.data.event, second] } };

    await recordFromInngest(event);
    await recordFromInngest(event);
    const rows = await getDb().select().from(deadLetters).where(eq(deadLetters.functionId, 'paykit-ledger-post-capture'));
    const ofRun = rows.filter((r) => r.runId.startsWith(runId));
    expect(ofRun.map((r) => ({ merchantId: r.merchantId, payload: r.payload })).sort((x, y) => String(x.merchantId).localeCompare(String(y.merchantId)))).toEqual(
      [
        { merchantId: a.merchant.id, payload: first.data.event },
        { merchantId: b.merchant.id, payload: second },
      ].sort((x, y) => x.merchantId.localeCompare(y.merchantId)),
    );
    const listedByB = (await apiClient(app, b.secretKey).get('/api/v1/dead_letters')).body.data;
    expect(listedByB.map((d: any) => d.payload)).toEqual([second]);
  });

  it('refuses a failure event without the failed run’s id (retried, recording nothing)', async () => {
    const event = functionFailedEvent('mer_x', 'run_x');
    const t = new InngestTestEngine({
      function: defineRecordDeadLetter(client),
      events: [{ name: event.name, data: { ...event.data, run_id: undefined } }],
    });
    const { error } = await t.execute();
    expect(String((error as Error | undefined)?.message)).toMatch(/Malformed inngest\/function\.failed event: run_id/);
  });

  describe('replay on real Inngest', () => {
    let fakeInngest: FetchServer | undefined;
    const saved = { base: process.env.INNGEST_BASE_URL, key: process.env.INNGEST_EVENT_KEY };
    afterEach(async () => {
      await fakeInngest?.close();
      for (const [name, value] of [
        ['INNGEST_BASE_URL', saved.base],
        ['INNGEST_EVENT_KEY', saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('re-sends the failed event under a new id to Inngest’s event API and marks the letter replayed', async () => {
      const received: { path: string; body: any }[] = [];
      fakeInngest = await startFetchServer(async (request) => {
        const events = (await request.json()) as { id: string }[];
        received.push({ path: new URL(request.url).pathname, body: events });
        return Response.json({ ids: events.map((e) => e.id), status: 200 });
      });
      const eventKey = `key-${randomUUID()}`;
      // real Inngest (self-hosted): the engine mode reads these, the client sends there
      process.env.INNGEST_BASE_URL = fakeInngest.url;
      process.env.INNGEST_EVENT_KEY = eventKey;
      inngest.setEnvVars({ INNGEST_BASE_URL: fakeInngest.url, INNGEST_EVENT_KEY: eventKey });

      const m = await createTestMerchant();
      const event = functionFailedEvent(m.merchant.id, `run_${randomUUID()}`);
      const { id } = await recordFromInngest(event);

      const replay = await apiClient(app, m.secretKey).post(`/api/v1/dead_letters/${id}/replay`, {}, { idempotencyKey: randomUUID() });
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ id, object: 'dead_letter', replay_run: null });
      expect(replay.body.replayed_at).toEqual(expect.any(Number));

      expect(received).toHaveLength(1);
      expect(received[0]?.path).toBe(`/e/${eventKey}`);
      const [sent] = received[0]!.body as { id: string; name: string; data: unknown }[];
      expect(sent).toMatchObject({ name: event.data.event.name, data: event.data.event.data });
      expect(sent?.id).toMatch(new RegExp(`^replay-${id}-`));
      expect(sent?.id).not.toBe(event.data.event.id);

      // another merchant cannot replay it
      const other = await createTestMerchant();
      const refused = await apiClient(app, other.secretKey).post(`/api/v1/dead_letters/${id}/replay`, {}, { idempotencyKey: randomUUID() });
      expect(refused.status).toBe(404);
      expect(received).toHaveLength(1);
    });
  });
});
