import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function stepCount(h: Harness): Promise<number> {
  const [row] = (await h.db.execute(sql`select count(*)::int as n from engine_steps`)) as unknown as { n: number }[];
  return row?.n ?? 0;
}

describe('embedded engine: crash safety and several engines', () => {
  it('an engine killed after step 1 was recorded: a new engine resumes the run and step 1 is not re-run', async () => {
    const effects = { charge: 0, notify: 0 };
    let releaseFirstNotify: () => void = () => undefined;
    const firstNotifyBlocked = new Promise<void>((resolve) => (releaseFirstNotify = resolve));
    harness = await startHarness(
      (client) => [
        client.createFunction({ id: 'two-steps', triggers: [{ event: 'pay' }] }, async ({ step }) => {
          await step.run('charge', () => ++effects.charge);
          await step.run('notify', async () => {
            effects.notify++;
            // the first attempt hangs until the engine running it is gone
            if (effects.notify === 1) await firstNotifyBlocked;
            return 'notified';
          });
          return 'done';
        }),
      ],
      { leaseMs: 600 },
    );
    await harness.client.send({ name: 'pay', data: {} });
    const draining = harness.engine.drain().catch(() => undefined);
    await harness.waitForState(async () => (await stepCount(harness!)) === 1 && effects.notify === 1);
    await harness.engine.abandon(); // the process "dies" mid-step 2; its lease is left behind
    releaseFirstNotify();
    await draining;

    const successor = harness.addEngine({ worker: true });
    await successor.start();
    await harness.waitForState(async () => (await harness!.runs())[0]?.status === 'completed', 10_000, successor);
    await successor.stop();
    expect(effects.charge).toBe(1); // recorded before the crash: never re-run
    expect(effects.notify).toBe(2); // was running when the engine died: re-run (steps are idempotent)
    expect((await harness.runs())[0]?.output).toBe('done');
  });

  it('two engines running at once execute each step effect exactly once', async () => {
    const effects = new Map<string, number>();
    const bump = (key: string) => effects.set(key, (effects.get(key) ?? 0) + 1);
    harness = await startHarness((client) => [
      client.createFunction({ id: 'busy', triggers: [{ event: 'job' }] }, async ({ step, event }) => {
        const id = String(event.data.n);
        await step.run('one', () => bump(`${id}:one`));
        await step.run('two', () => bump(`${id}:two`));
        await step.run('three', () => bump(`${id}:three`));
      }),
    ]);
    const first = harness.addEngine({ worker: true, maxConcurrentRuns: 4 });
    const second = harness.addEngine({ worker: true, maxConcurrentRuns: 4 });
    await Promise.all([first.start(), second.start()]);
    const jobs = 20;
    await harness.client.send(Array.from({ length: jobs }, (_, n) => ({ name: 'job', data: { n } })));
    await harness.waitForState(async () => {
      const runs = await harness!.runs();
      return runs.length === jobs && runs.every((r) => r.status === 'completed');
    }, 20_000);
    await Promise.all([first.stop(), second.stop()]);
    expect(effects.size).toBe(jobs * 3);
    expect([...effects.values()].every((count) => count === 1)).toBe(true);
  });
});
