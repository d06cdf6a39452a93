import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { NonRetriableError } from 'inngest';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { canonicalJson } from '@/inngest/engine/canonical-json';
import { signRequestBody } from '@/inngest/engine/signing';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('embedded engine: Inngest serve protocol', () => {
  it('fans an event out to every function triggered by its name', async () => {
    const seen: string[] = [];
    harness = await startHarness((client) => [
      client.createFunction({ id: 'a', triggers: [{ event: 'payment.succeeded' }] }, async ({ event }) => {
        seen.push(`a:${String(event.data.paymentId)}`);
        return 'a-done';
      }),
      client.createFunction({ id: 'b', triggers: [{ event: 'payment.succeeded' }] }, async () => {
        seen.push('b');
      }),
      client.createFunction({ id: 'other', triggers: [{ event: 'payment.failed' }] }, async () => {
        seen.push('other');
      }),
    ]);
    const { ids } = await harness.client.send({ name: 'payment.succeeded', data: { paymentId: 'pi_1' } });
    expect(ids).toHaveLength(1);
    await harness.engine.drain();
    expect(seen.sort()).toEqual(['a:pi_1', 'b']);
    const runs = await harness.runs();
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(runs.find((r) => r.functionId.endsWith('-a'))?.output).toBe('a-done');
  });

  it('memoizes step.run: each step effect happens once although the function is re-invoked per step', async () => {
    const effects = { first: 0, second: 0, bodyInvocations: 0 };
    // without checkpointing the SDK answers after each step, so the body is re-invoked per step
    // (the SDK in checkpoint mode runs it once: tests/integration/engine-checkpoint.test.ts)
    harness = await startHarness(
      (client) => [
        client.createFunction({ id: 'steps', triggers: [{ event: 'go' }] }, async ({ step }) => {
          effects.bodyInvocations++;
          const a = await step.run('first', () => ++effects.first);
          const b = await step.run('second', () => ++effects.second + a);
          return { a, b };
        }),
      ],
      { checkpointing: false },
    );
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();
    expect(effects.first).toBe(1);
    expect(effects.second).toBe(1);
    expect(effects.bodyInvocations).toBeGreaterThan(1);
    const [run] = await harness.runs();
    expect(run?.status).toBe('completed');
    expect(run?.output).toEqual({ a: 1, b: 2 });
    const steps = await harness.db.execute(sql`select count(*)::int as n from engine_steps where run_id = ${run!.id}`);
    expect((steps as unknown as { n: number }[])[0]?.n).toBe(2);
  });

  it('runs parallel steps (Promise.all), each once', async () => {
    const calls = { a: 0, b: 0, c: 0 };
    harness = await startHarness((client) => [
      client.createFunction({ id: 'parallel', triggers: [{ event: 'fan' }] }, async ({ step }) => {
        const [a, b] = await Promise.all([step.run('a', () => ++calls.a * 10), step.run('b', () => ++calls.b * 20)]);
        const c = await step.run('c', () => ++calls.c + a + b);
        return c;
      }),
    ]);
    await harness.client.send({ name: 'fan', data: {} });
    await harness.engine.drain();
    expect(calls).toEqual({ a: 1, b: 1, c: 1 });
    expect((await harness.runs())[0]?.output).toBe(31);
  });

  it('step.sleep and step.sleepUntil park the run in Postgres until the time has passed', async () => {
    harness = await startHarness((client) => [
      client.createFunction({ id: 'sleeper', triggers: [{ event: 'nap' }] }, async ({ step }) => {
        const started = await step.run('start', () => Date.now());
        await step.sleep('short-nap', '1s');
        await step.sleepUntil('until', new Date(Date.now() + 1000));
        return { sleptMs: Date.now() - started };
      }),
    ]);
    await harness.client.send({ name: 'nap', data: {} });
    await harness.engine.drain();
    const [parked] = await harness.runs();
    expect(parked?.status).toBe('sleeping');
    const done = await harness.waitFor(async () => (await harness!.runs()).find((r) => r.status === 'completed'));
    expect((done.output as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(1900);
  });

  it('step.waitForEvent resolves with the matching event (match) and ignores others', async () => {
    harness = await startHarness((client) => [
      client.createFunction({ id: 'waiter', triggers: [{ event: 'payment.pending' }] }, async ({ step }) => {
        const callback = await step.waitForEvent('callback', { event: 'psp.callback', match: 'data.paymentId', timeout: '1m' });
        return { status: callback?.data.status ?? null };
      }),
    ]);
    await harness.client.send([
      { name: 'payment.pending', data: { paymentId: 'pi_A' } },
      { name: 'payment.pending', data: { paymentId: 'pi_B' } },
    ]);
    await harness.engine.drain();
    expect((await harness.runs()).map((r) => r.status)).toEqual(['waiting', 'waiting']);
    await harness.client.send({ name: 'psp.callback', data: { paymentId: 'pi_B', status: 'paid' } });
    await harness.engine.drain();
    const runs = await harness.runs();
    const byPayment = Object.fromEntries(runs.map((r) => [String((r.event.data as { paymentId: string }).paymentId), r]));
    expect(byPayment.pi_B?.status).toBe('completed');
    expect(byPayment.pi_B?.output).toEqual({ status: 'paid' });
    expect(byPayment.pi_A?.status).toBe('waiting');
  });

  it('events sent together: one id twice starts once, ids seen before start nothing, a wait gets the first match', async () => {
    const started: string[] = [];
    harness = await startHarness((client) => [
      client.createFunction({ id: 'waiter', triggers: [{ event: 'payment.pending' }] }, async ({ step }) => {
        const callback = await step.waitForEvent('callback', { event: 'psp.callback', match: 'data.paymentId', timeout: '1m' });
        return { status: callback?.data.status ?? null };
      }),
      client.createFunction({ id: 'recorder', triggers: [{ event: 'psp.callback' }] }, async ({ event }) => {
        started.push(String(event.data.status));
      }),
    ]);
    await harness.client.send({ name: 'payment.pending', data: { paymentId: 'pi_A' } });
    await harness.engine.drain();
    await harness.client.send({ name: 'psp.callback', id: 'cb-seen', data: { paymentId: 'pi_X', status: 'earlier' } });
    // one send: a resend of an id from an earlier send, one id twice, two callbacks for the same wait
    await harness.client.send([
      { name: 'psp.callback', id: 'cb-seen', data: { paymentId: 'pi_A', status: 'resent' } },
      { name: 'psp.callback', id: 'cb-1', data: { paymentId: 'pi_A', status: 'first' } },
      { name: 'psp.callback', id: 'cb-1', data: { paymentId: 'pi_A', status: 'duplicate' } },
      { name: 'psp.callback', id: 'cb-2', data: { paymentId: 'pi_A', status: 'second' } },
    ]);
    await harness.engine.drain();
    const waiter = (await harness.runs(`${harness.client.id}-waiter`))[0];
    expect(waiter?.status).toBe('completed');
    expect(waiter?.output).toEqual({ status: 'first' });
    expect(started.sort()).toEqual(['earlier', 'first', 'second']);
  });

  it('step.waitForEvent resolves null on timeout', async () => {
    harness = await startHarness((client) => [
      client.createFunction({ id: 'timeout', triggers: [{ event: 'payment.pending' }] }, async ({ step }) => {
        const callback = await step.waitForEvent('callback', { event: 'psp.callback', match: 'data.paymentId', timeout: '1s' });
        return { timedOut: callback === null };
      }),
    ]);
    await harness.client.send({ name: 'payment.pending', data: { paymentId: 'pi_T' } });
    const done = await harness.waitFor(async () => (await harness!.runs()).find((r) => r.status === 'completed'));
    expect(done.output).toEqual({ timedOut: true });
  });

  it('step.sendEvent triggers another function', async () => {
    const received: unknown[] = [];
    harness = await startHarness((client) => [
      client.createFunction({ id: 'producer', triggers: [{ event: 'order.placed' }] }, async ({ step, event }) => {
        await step.sendEvent('notify', { name: 'order.notify', data: { orderId: event.data.orderId } });
      }),
      client.createFunction({ id: 'consumer', triggers: [{ event: 'order.notify' }] }, async ({ event }) => {
        received.push(event.data);
      }),
    ]);
    await harness.client.send({ name: 'order.placed', data: { orderId: 'o_1' } });
    await harness.engine.drain();
    expect(received).toEqual([{ orderId: 'o_1' }]);
  });

  it('runs a cron function when its schedule is due', async () => {
    let ticks = 0;
    harness = await startHarness((client) => [
      client.createFunction({ id: 'nightly', triggers: [{ cron: '0 3 * * *' }] }, async ({ event }) => {
        ticks++;
        return event.name;
      }),
    ]);
    const crons = (await harness.db.execute(sql`select next_run_at from engine_crons`)) as unknown as { next_run_at: Date }[];
    expect(new Date(crons[0]!.next_run_at).getUTCHours()).toBe(3);
    await harness.engine.drain();
    expect(ticks).toBe(0);
    await harness.db.execute(sql`update engine_crons set next_run_at = now() - interval '1 second'`);
    await harness.engine.drain();
    await harness.engine.drain();
    expect(ticks).toBe(1);
    const [run] = await harness.runs();
    expect(run?.output).toBe('inngest/scheduled.timer');
  });

  it('refuses unsigned and wrongly signed requests to the serve endpoint (cloud mode)', async () => {
    harness = await startHarness((client) => [
      client.createFunction({ id: 'secret', triggers: [{ event: 'x' }] }, async () => 'ran'),
    ]);
    const fnId = `${harness.client.id}-secret`;
    const body = canonicalJson({
      event: { name: 'x', data: {} },
      events: [],
      steps: {},
      ctx: { run_id: 'r1', attempt: 0, stack: { stack: [], current: 0 } },
    });
    const url = `${harness.serveUrl}?fnId=${fnId}&stepId=step`;
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-inngest-signature': signRequestBody(body, 'signkey-test-00ff') },
      body,
    });
    expect(forged.status).toBe(401);
    const signed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-inngest-signature': signRequestBody(body, harness.signingKey) },
      body,
    });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toBe('ran');
  });

  it('rejects at sync a function that uses a feature the engine lacks, naming it', async () => {
    await expect(
      startHarness((client) => [
        client.createFunction(
          { id: 'throttled', triggers: [{ event: 'x' }], throttle: { limit: 1, period: '1s' } },
          async () => undefined,
        ),
      ]).then((h) => {
        harness = h;
      }),
    ).rejects.toThrow(/function "paykit-test-\d+-throttled": option "throttle"/);
    await expect(
      startHarness((client) => [
        client.createFunction(
          { id: 'filtered', triggers: [{ event: 'x', if: 'event.data.amount > 100' }] },
          async () => undefined,
        ),
      ]).then((h) => {
        harness = h;
      }),
    ).rejects.toThrow(/trigger "if" on "x"/);
  });

  it('the event API checks the event key', async () => {
    harness = await startHarness(() => []);
    const wrong = await fetch(`${harness.engine.url}/e/not-the-key`, {
      method: 'POST',
      body: JSON.stringify({ name: 'x', data: {} }),
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${harness.engine.url}/e/${harness.eventKey}`, {
      method: 'POST',
      body: JSON.stringify([{ name: 'x', data: {} }]),
    });
    expect(await right.json()).toMatchObject({ status: 200, ids: [expect.any(String)] });
    const health = await fetch(`${harness.engine.url}/health`);
    expect(health.status).toBe(200);
  });

  it('a NonRetriableError thrown in the function body is not retried', async () => {
    let calls = 0;
    harness = await startHarness((client) => [
      client.createFunction({ id: 'fatal', triggers: [{ event: 'boom' }] }, async () => {
        calls++;
        throw new NonRetriableError('card number invalid');
      }),
    ]);
    await harness.client.send({ name: 'boom', data: {} });
    await harness.engine.drain();
    expect(calls).toBe(1);
    expect((await harness.runs())[0]?.status).toBe('failed');
  });
});
