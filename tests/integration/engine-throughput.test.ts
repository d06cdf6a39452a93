import { afterEach, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import * as schema from '@/db/schema';
import { compileFunction, runPrioritySeconds } from '@/inngest/engine/function-config';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';

/**
 * The engine's cost is counted, not timed (counts do not depend on how busy the machine is):
 * SQL statements the engine sends per run, and the order in which due work is taken.
 */

let harness: Harness | undefined;
let pool: postgres.Sql | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await pool?.end({ timeout: 5 });
  pool = undefined;
});

/** A Drizzle handle on its own pool that counts every statement it sends. */
function countingDb() {
  const counter = { statements: 0 };
  pool = postgres(process.env.DATABASE_URL!, {
    max: 8,
    onnotice: () => undefined,
    debug: () => {
      counter.statements++;
    },
  });
  return { db: drizzle(pool, { schema, casing: 'snake_case' }), counter };
}

describe('embedded engine: statements and order', () => {
  it('runs a three-step function on at most 10.5 engine statements per run, ingest included', async () => {
    const { db, counter } = countingDb();
    const effects: string[] = [];
    harness = await startHarness(
      (client) => [
        client.createFunction({ id: 'three-steps', triggers: [{ event: 'pay' }] }, async ({ step }) => {
          await step.run('a', () => effects.push('a'));
          await step.run('b', () => effects.push('b'));
          return step.run('c', () => effects.push('c'));
        }),
      ],
      { db },
    );
    await harness.engine.drain(); // crons and the like, before counting
    counter.statements = 0;
    const runs = 5;
    await harness.client.send(Array.from({ length: runs }, (_, i) => ({ name: 'pay', data: { i } })));
    await harness.waitFor(async () => {
      const done = (await harness!.runs(`${harness!.client.id}-three-steps`)).filter((r) => r.status === 'completed');
      return done.length === runs;
    });
    expect(effects).toHaveLength(3 * runs); // each step once
    // Per run (measured 9.0): its share of the ingest (the five events' runs inserted in one
    // statement, the waits read once) and of the batched claim (which also returns the memoized
    // steps), one statement per step recording it and checking the lease, one completing the run,
    // and the heartbeat. 12.2 before the claim read the steps and the ingest went per event; 56.8
    // before that (a transaction per lease check, a function and a steps read per call, a claim
    // transaction per run, a cron check per claim).
    const perRun = counter.statements / runs;
    expect(perRun).toBeLessThanOrEqual(10.5);
    // Serve calls per run: 4 before the engine served Inngest's checkpoint protocol (one per step,
    // one more for the result); now one call runs all three steps and checkpoints each (one
    // statement apiece, the same statement the per-step answer cost).
    expect(harness.traffic.serveCalls / runs).toBe(1);
    expect(harness.traffic.checkpointStatuses).toEqual(Array.from({ length: 3 * runs }, () => 200));
  });

  it('runs a three-step function with its steps buffered into the result on 8.5 statements at most, one serve call and no checkpoint', async () => {
    const { db, counter } = countingDb();
    harness = await startHarness(
      (client) => [
        client.createFunction(
          { id: 'three-buffered', triggers: [{ event: 'pay' }], checkpointing: { bufferedSteps: 10 } },
          async ({ step }) => {
            await step.run('a', () => 'a');
            await step.run('b', () => 'b');
            return step.run('c', () => 'c');
          },
        ),
      ],
      { db },
    );
    await harness.engine.drain();
    counter.statements = 0;
    const serveCallsBefore = harness.traffic.serveCalls;
    const runs = 5;
    await harness.client.send(Array.from({ length: runs }, (_, i) => ({ name: 'pay', data: { i } })));
    await harness.waitFor(async () => {
      const done = (await harness!.runs(`${harness!.client.id}-three-buffered`)).filter((r) => r.status === 'completed');
      return done.length === runs;
    });
    // the three steps arrive with the result: one statement records them, one completes the run
    // (measured 6.6 per run, the steps now memoized by the completing statement; 7.0 before that,
    // 9.4 before the claim read the steps and the ingest went per event; 9.0 with a checkpoint per
    // step, in the test above)
    expect(counter.statements / runs).toBeLessThanOrEqual(8.5);
    expect((harness.traffic.serveCalls - serveCallsBefore) / runs).toBe(1);
    expect(harness.traffic.checkpointStatuses).toEqual([]);
    const steps = await harness.db.execute(sql`select count(*)::int as n from engine_steps`);
    expect((steps as unknown as { n: number }[])[0]?.n).toBe(3 * runs);
  });

  it('takes a run with priority.run ahead of work queued before it', async () => {
    const order: string[] = [];
    harness = await startHarness(
      (client) => [
        client.createFunction({ id: 'bulk', triggers: [{ event: 'bulk' }] }, async ({ event }) => {
          order.push(`bulk-${String(event.data.i)}`);
        }),
        client.createFunction({ id: 'urgent', triggers: [{ event: 'urgent' }], priority: { run: '600' } }, async () => {
          order.push('urgent');
        }),
      ],
      { maxConcurrentRuns: 1 },
    );
    await harness.client.send(Array.from({ length: 5 }, (_, i) => ({ name: 'bulk', data: { i } })));
    await harness.client.send({ name: 'urgent', data: {} });
    await harness.waitFor(async () => order.length === 6);
    expect(order[0]).toBe('urgent');
    expect(order.slice(1)).toEqual(['bulk-0', 'bulk-1', 'bulk-2', 'bulk-3', 'bulk-4']);
  });

  it('refuses a negative priority at sync: the embedded engine cannot order it without delaying it', () => {
    const config = (run: string) => ({
      id: 'app-late',
      triggers: [{ event: 'x' }],
      steps: { step: { id: 'step', name: 'step', runtime: { type: 'http', url: 'http://127.0.0.1:1/api/inngest' } } },
      priority: { run },
    });
    expect(() => compileFunction(config('-60'))).toThrow(/negative priority/);
    const fn = compileFunction(config('event.data.boost'));
    expect(runPrioritySeconds(fn, { data: { boost: 5000 } })).toBe(600);
    expect(runPrioritySeconds(fn, { data: { boost: -5 } })).toBe(0);
    expect(runPrioritySeconds(fn, { data: {} })).toBe(0);
  });
});
