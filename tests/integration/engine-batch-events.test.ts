import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { compileFunction } from '@/inngest/engine/function-config';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';

/**
 * batchEvents in the embedded engine, driven through the real SDK: the function receives `events`
 * (and `event`, the first of them) as Inngest sends them; a batch starts when full or `timeout`
 * after its first event; an event is in exactly one batch, with two engines too; a failed batch
 * is retried as a whole; a concurrency limit still counts batch runs.
 */

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

type Seen = { first: number; all: number[]; key?: string };

async function pendingItems(h: Harness): Promise<number> {
  const [row] = (await h.db.execute(sql`select count(*)::int as n from engine_batch_items`)) as unknown as { n: number }[];
  return row!.n;
}

function config(batchEvents: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: 'app-batched',
    triggers: [{ event: 'x' }],
    steps: { step: { id: 'step', name: 'step', runtime: { type: 'http', url: 'http://127.0.0.1:1/api/inngest' } } },
    batchEvents,
    ...extra,
  };
}

describe('embedded engine: batchEvents', () => {
  it('starts a run as soon as maxSize events are there, with the events in the order they came', async () => {
    const seen: Seen[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'by-size', triggers: [{ event: 'item' }], batchEvents: { maxSize: 5, timeout: '60s' } },
        async ({ event, events }) => {
          seen.push({ first: Number(event.data.n), all: events.map((e: { data: Record<string, unknown> }) => Number(e.data.n)) });
        },
      ),
    ]);
    await harness.client.send(Array.from({ length: 7 }, (_, n) => ({ name: 'item', data: { n } })));
    await harness.client.send(Array.from({ length: 5 }, (_, n) => ({ name: 'item', data: { n: n + 7 } })));
    await harness.engine.drain();
    // 12 events: two full batches ran at once; two events wait for more (or for the 60 s timeout)
    expect([...seen].sort((a, b) => a.first - b.first)).toEqual([
      { first: 0, all: [0, 1, 2, 3, 4] },
      { first: 5, all: [5, 6, 7, 8, 9] },
    ]);
    expect(await pendingItems(harness)).toBe(2);
    const runs = await harness.runs(`${harness.client.id}-by-size`);
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
  });

  it('starts a batch that is not full once `timeout` has passed since its first event, not before', async () => {
    const seen: { all: number[]; at: number }[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'by-time', triggers: [{ event: 'item' }], batchEvents: { maxSize: 100, timeout: '0.4s' } },
        async ({ events }) => {
          seen.push({ all: events.map((e: { data: Record<string, unknown> }) => Number(e.data.n)), at: Date.now() });
        },
      ),
    ]);
    const sentAt = Date.now();
    await harness.client.send([{ name: 'item', data: { n: 1 } }]);
    await harness.client.send([
      { name: 'item', data: { n: 2 } },
      { name: 'item', data: { n: 3 } },
    ]);
    // not full: the ingests started nothing, the events wait
    expect(await harness.runs(`${harness.client.id}-by-time`)).toHaveLength(0);
    expect(await pendingItems(harness)).toBe(3);
    await harness.engine.drain(); // waits for a batch due within 2 s
    expect(seen).toHaveLength(1);
    expect(seen[0]!.all).toEqual([1, 2, 3]);
    expect(seen[0]!.at - sentAt).toBeGreaterThanOrEqual(400);
    expect(await pendingItems(harness)).toBe(0);
    // the run queued from its first event's arrival, ahead of work that came while the batch filled
    const [queued] = (await harness.db.execute(sql`
      select extract(epoch from (created_at - run_at)) * 1000 as waited_ms from engine_runs
       where function_id = ${`${harness.client.id}-by-time`}`)) as unknown as { waited_ms: number }[];
    expect(Number(queued!.waited_ms)).toBeGreaterThanOrEqual(390);
    // a later event opens a new batch of its own
    await harness.client.send({ name: 'item', data: { n: 4 } });
    await harness.waitFor(async () => seen.length === 2);
    expect(seen[1]!.all).toEqual([4]);
  });

  it('keeps one batch per key value, and runs an event at once (alone) when `if` is false for it', async () => {
    const seen: Seen[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        {
          id: 'keyed',
          triggers: [{ event: 'item' }],
          batchEvents: { maxSize: 2, timeout: '60s', key: 'event.data.merchant', if: 'event.data.urgent != true' },
        },
        async ({ events }) => {
          seen.push({ first: Number(events[0]!.data.n), all: events.map((e: { data: Record<string, unknown> }) => Number(e.data.n)), key: String(events[0]!.data.merchant) });
        },
      ),
    ]);
    await harness.client.send([
      { name: 'item', data: { n: 1, merchant: 'a', urgent: false } },
      { name: 'item', data: { n: 2, merchant: 'b', urgent: false } },
      { name: 'item', data: { n: 3, merchant: 'b', urgent: false } },
      { name: 'item', data: { n: 4, merchant: 'a', urgent: true } },
      { name: 'item', data: { n: 5, merchant: 'a', urgent: false } },
      // `if` cannot be evaluated without the field (false, as in Inngest): this one runs alone too
      { name: 'item', data: { n: 6, merchant: 'b' } },
    ]);
    await harness.engine.drain();
    const byFirst = [...seen].sort((x, y) => x.first - y.first);
    expect(byFirst).toEqual([
      { first: 1, all: [1, 5], key: 'a' },
      { first: 2, all: [2, 3], key: 'b' },
      { first: 4, all: [4], key: 'a' },
      { first: 6, all: [6], key: 'b' },
    ]);
  });

  it('puts every event into exactly one batch while two engines ingest and run side by side', async () => {
    const handled = new Map<number, number>();
    const sizes: number[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'raced', triggers: [{ event: 'item' }], batchEvents: { maxSize: 7, timeout: '0.2s' } },
        async ({ events, step }) => {
          await step.run('handle', () => {
            sizes.push(events.length);
            for (const e of events) handled.set(Number(e.data.n), (handled.get(Number(e.data.n)) ?? 0) + 1);
          });
        },
      ),
    ]);
    const first = harness.addEngine({ worker: true, maxConcurrentRuns: 4, batchCheckMs: 10 });
    const second = harness.addEngine({ worker: true, maxConcurrentRuns: 4, batchCheckMs: 10 });
    await Promise.all([first.start(), second.start()]);
    const total = 210;
    // 30 sends of 7 events, spread over both engines' ingest and racing each other
    await Promise.all(
      Array.from({ length: 30 }, (_, s) =>
        (s % 2 ? first : second).send(Array.from({ length: 7 }, (_, i) => ({ name: 'item', data: { n: s * 7 + i } }))),
      ),
    );
    await harness.waitForState(async () => {
      const runs = await harness!.runs(`${harness!.client.id}-raced`);
      return handled.size === total && runs.every((r) => r.status === 'completed') && (await pendingItems(harness!)) === 0;
    }, 20_000);
    await Promise.all([first.stop(), second.stop()]);
    expect([...handled.values()].every((count) => count === 1)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
    // the batch events stored with the runs agree: each event id in one run only
    const [row] = (await harness.db.execute(sql`
      select count(*)::int as events, count(distinct e->>'id')::int as distinct_events
        from engine_runs r, jsonb_array_elements(r.events) e
       where r.function_id = ${`${harness.client.id}-raced`}`)) as unknown as { events: number; distinct_events: number }[];
    expect(row).toEqual({ events: total, distinct_events: total });
  });

  it('retries a failed batch as a whole, with the same events', async () => {
    const attempts: number[][] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'flaky', triggers: [{ event: 'item' }], retries: 2, batchEvents: { maxSize: 3, timeout: '60s' } },
        async ({ events, step }) => {
          return step.run('write', () => {
            attempts.push(events.map((e: { data: Record<string, unknown> }) => Number(e.data.n)));
            if (attempts.length === 1) throw new Error('the database said no');
            return events.length;
          });
        },
      ),
    ]);
    await harness.client.send([1, 2, 3].map((n) => ({ name: 'item', data: { n } })));
    const run = await harness.waitFor(async () => {
      const [only] = await harness!.runs(`${harness!.client.id}-flaky`);
      return only?.status === 'completed' ? only : undefined;
    });
    expect(attempts).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(run.output).toBe(3);
    expect(await harness.runs(`${harness.client.id}-flaky`)).toHaveLength(1);
  });

  it('honours a concurrency limit across batch runs and drops a resent event id before it is batched', async () => {
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'one-at-a-time', triggers: [{ event: 'item' }], concurrency: 1, batchEvents: { maxSize: 2, timeout: '60s' } },
        async ({ events, step }) => {
          await step.run('work', async () => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((r) => setTimeout(r, 50));
            running--;
            sizes.push(events.length);
          });
        },
      ),
    ]);
    await harness.client.send(Array.from({ length: 6 }, (_, n) => ({ name: 'item', id: `evt-${n}`, data: { n } })));
    // a resend of the same ids (the relay after a crash) is deduplicated at ingest: no extra batch
    await harness.client.send(Array.from({ length: 6 }, (_, n) => ({ name: 'item', id: `evt-${n}`, data: { n } })));
    await harness.waitFor(async () => sizes.length === 3);
    await harness.engine.drain();
    expect(sizes).toEqual([2, 2, 2]);
    expect(peak).toBe(1);
    expect(await pendingItems(harness)).toBe(0);
  });

  it('refuses at sync what Inngest does not allow with batching, naming it', () => {
    expect(() => compileFunction(config({ maxSize: 10, timeout: '1s' }, { idempotency: 'event.data.id' }))).toThrow(
      /batchEvents with idempotency/,
    );
    expect(() => compileFunction(config({ maxSize: 10, timeout: '1s' }, { priority: { run: '60' } }))).toThrow(
      /batchEvents with priority/,
    );
    expect(() =>
      compileFunction(config({ maxSize: 10, timeout: '1s' }, { concurrency: [{ limit: 1, key: 'event.data.m' }] })),
    ).toThrow(/batchEvents with a concurrency key/);
    expect(() => compileFunction(config({ maxSize: 10, timeout: 'soon' }))).toThrow(/batchEvents.timeout/);
    expect(() => compileFunction(config({ maxSize: 0, timeout: '1s' }))).toThrow(/invalid config/);
    expect(() => compileFunction(config({ maxSize: 10, timeout: '1s', if: 'event.data.x ~= 1' }))).toThrow(/batchEvents.if/);
    const fn = compileFunction(config({ maxSize: 10, timeout: '0.25s', key: 'event.data.m' }, { concurrency: 2 }));
    expect(fn.batch).toMatchObject({ maxSize: 10, timeoutMs: 250, keyPath: ['data', 'm'] });
    expect(fn.concurrency).toEqual({ limit: 2, keyPath: null });
  });
});
