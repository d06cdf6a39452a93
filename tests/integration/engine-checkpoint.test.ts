import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { claimDueRuns, completeRunUnderLease, LeaseLostError, loadRun } from '@/inngest/engine/store';
import { hashedSigningKey } from '@/inngest/engine/signing';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';

/**
 * Inngest's async checkpointing through the embedded engine, with the real SDK serving real
 * functions over HTTP: the engine names the function and queue item (its lease) in each call, the
 * SDK runs steps inside that call and POSTs each finished one to /v1/checkpoint/:runId/async.
 */

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function stepsOf(h: Harness, runId: string): Promise<{ step_id: string; result: { data?: unknown } }[]> {
  return (await h.db.execute(sql`select step_id, result from engine_steps where run_id = ${runId} order by seq`)) as unknown as {
    step_id: string;
    result: { data?: unknown };
  }[];
}

function threeSteps(effects: string[]) {
  return (client: Harness['client']) => [
    client.createFunction({ id: 'three', triggers: [{ event: 'go' }] }, async ({ step }) => {
      const a = await step.run('a', () => (effects.push('a'), 1));
      const b = await step.run('b', () => (effects.push('b'), a + 1));
      const c = await step.run('c', () => (effects.push('c'), b + 1));
      return { a, b, c };
    }),
  ];
}

describe('embedded engine: async checkpointing', () => {
  it('runs a three-step function in one serve call, each step checkpointed and recorded once', async () => {
    const effects: string[] = [];
    harness = await startHarness(threeSteps(effects));
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();

    const [run] = await harness.runs();
    expect(run?.status).toBe('completed');
    expect(run?.output).toEqual({ a: 1, b: 2, c: 3 });
    expect(effects).toEqual(['a', 'b', 'c']);
    // fewer serve calls than steps: one call ran all three (one per step and one more without)
    expect(harness.traffic.serveCalls).toBe(1);
    expect(harness.traffic.checkpointStatuses).toEqual([200, 200, 200]);
    const steps = await stepsOf(harness, run!.id);
    expect(steps.map((s) => s.result.data)).toEqual([1, 2, 3]);
  });

  it('without the protocol (engine option off) the same function takes a serve call per step and one more', async () => {
    const effects: string[] = [];
    harness = await startHarness(threeSteps(effects), { checkpointing: false });
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();
    const [run] = await harness.runs();
    expect(run?.output).toEqual({ a: 1, b: 2, c: 3 });
    expect(effects).toEqual(['a', 'b', 'c']);
    expect(harness.traffic.serveCalls).toBe(4);
    expect(harness.traffic.checkpointStatuses).toEqual([]);
  });

  it('records a buffer of steps the SDK sends with the result (function option bufferedSteps)', async () => {
    const effects: string[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'buffered', triggers: [{ event: 'go' }], checkpointing: { bufferedSteps: 10 } },
        async ({ step }) => {
          const a = await step.run('a', () => (effects.push('a'), 'x'));
          const b = await step.run('b', () => (effects.push('b'), `${a}y`));
          return b;
        },
      ),
    ]);
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();
    const [run] = await harness.runs();
    expect(run?.status).toBe('completed');
    expect(run?.output).toBe('xy');
    expect(effects).toEqual(['a', 'b']);
    expect(harness.traffic.serveCalls).toBe(1);
    expect(harness.traffic.checkpointStatuses).toEqual([]); // the buffer never filled
    expect((await stepsOf(harness, run!.id)).map((s) => s.result.data)).toEqual(['x', 'xy']);
  });

  it('a failing step ends the call and is retried; finished steps are not run again', async () => {
    const effects: string[] = [];
    harness = await startHarness((client) => [
      client.createFunction({ id: 'flaky', triggers: [{ event: 'go' }], retries: 3 }, async ({ step }) => {
        await step.run('a', () => effects.push('a'));
        await step.run('b', () => {
          effects.push('b');
          if (effects.filter((e) => e === 'b').length < 3) throw new Error('PSP timeout');
          return 'b-ok';
        });
        return step.run('c', () => (effects.push('c'), 'c-ok'));
      }),
    ]);
    await harness.client.send({ name: 'go', data: {} });
    await harness.waitFor(async () => (await harness!.runs())[0]?.status === 'completed');
    const [run] = await harness.runs();
    expect(run?.output).toBe('c-ok');
    expect(effects).toEqual(['a', 'b', 'b', 'b', 'c']);
    expect((await stepsOf(harness, run!.id)).map((s) => s.result.data)).toEqual([1, 'b-ok', 'c-ok']);
    // a checkpointed, b failed (call ends), b failed, b ok (a retry answers as before), c checkpointed
    expect(harness.traffic.serveCalls).toBe(4);
    expect(harness.traffic.checkpointStatuses).toEqual([200, 200]);
  });

  it('a sleep and a waitForEvent still end the call; the run resumes after each', async () => {
    const effects: string[] = [];
    harness = await startHarness((client) => [
      client.createFunction({ id: 'waits', triggers: [{ event: 'go' }] }, async ({ step }) => {
        await step.run('a', () => effects.push('a'));
        await step.sleep('pause', '1s');
        const approval = await step.waitForEvent('approval', { event: 'approve', timeout: '1m' });
        return step.run('b', () => (effects.push('b'), approval?.data.by ?? null));
      }),
    ]);
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();
    expect((await harness.runs())[0]?.status).toBe('sleeping');
    expect(harness.traffic.serveCalls).toBe(1);
    await harness.waitFor(async () => (await harness!.runs())[0]?.status === 'waiting');
    await harness.client.send({ name: 'approve', data: { by: 'ops' } });
    await harness.waitFor(async () => (await harness!.runs())[0]?.status === 'completed');
    const [run] = await harness.runs();
    expect(run?.output).toBe('ops');
    expect(effects).toEqual(['a', 'b']);
    expect(harness.traffic.serveCalls).toBe(3);
    expect(harness.traffic.checkpointStatuses).toEqual([200, 200]);
  });

  it('when checkpoints cannot be delivered, the SDK answers with its steps and the engine records them', async () => {
    const effects: string[] = [];
    harness = await startHarness(threeSteps(effects));
    harness.traffic.checkpointsUnreachable = true;
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();
    const [run] = await harness.runs();
    expect(run?.status).toBe('completed');
    expect(run?.output).toEqual({ a: 1, b: 2, c: 3 });
    expect(effects).toEqual(['a', 'b', 'c']);
    expect((await stepsOf(harness, run!.id)).map((s) => s.result.data)).toEqual([1, 2, 3]);
    // each step: the SDK tried its checkpoint (with retries), then answered the call with it
    expect(harness.traffic.serveCalls).toBe(4);
    expect(harness.traffic.checkpointStatuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(harness.traffic.checkpointStatuses)).toEqual(new Set([503]));
  });

  it('a call that dies after two checkpoints resumes from the last one', async () => {
    const effects: string[] = [];
    let release: (() => void) | undefined;
    harness = await startHarness(
      (client) => [
        client.createFunction({ id: 'dies', triggers: [{ event: 'go' }] }, async ({ step }) => {
          await step.run('a', () => effects.push('a'));
          await step.run('b', () => effects.push('b'));
          return step.run('c', async () => {
            effects.push('c');
            // the first time, the call hangs until the engine gives up on it
            if (effects.filter((e) => e === 'c').length === 1) await new Promise<void>((resolve) => (release = resolve));
            return 'done';
          });
        }),
      ],
      { requestTimeoutMs: 1_500 },
    );
    await harness.client.send({ name: 'go', data: {} });
    await harness.waitFor(async () => (await harness!.runs())[0]?.status === 'completed');
    const [run] = await harness.runs();
    expect(run?.output).toBe('done');
    expect(effects).toEqual(['a', 'b', 'c', 'c']);
    // a and b were checkpointed in the call that died; the retry finished c in its answer
    expect(harness.traffic.checkpointStatuses).toEqual([200, 200]);
    // the dead call, let go, finishes c too: its checkpoint is refused (the lease moved on)
    release?.();
    await harness.waitFor(async () => harness!.traffic.checkpointStatuses.length === 3);
    expect(harness.traffic.checkpointStatuses).toEqual([200, 200, 409]);
    expect((await stepsOf(harness, run!.id)).map((s) => s.result.data)).toEqual([1, 2, 'done']);
  });

  it('refuses the checkpoint of a call whose lease was taken over; the SDK stops and the new owner finishes', async () => {
    const effects: string[] = [];
    // the first engine's lease runs out while b runs; a second engine claims the run and drives it
    // to the end before the first engine's (now stale) call finishes b
    const takeOver = async (runId: string) => {
      await harness!.db.execute(sql`update engine_runs set lease_expires_at = now() - interval '1 second' where id = ${runId}`);
      await other.drain();
    };
    harness = await startHarness(
      (client) => [
        client.createFunction({ id: 'contested', triggers: [{ event: 'go' }] }, async ({ step, runId }) => {
          await step.run('a', () => effects.push('a'));
          const b = await step.run('b', async () => {
            const n = effects.push('b');
            if (n === 2) await takeOver(runId);
            return n;
          });
          await step.run('c', () => effects.push(`c${b}`));
          return b;
        }),
      ],
      { leaseMs: 60_000 },
    );
    const other = harness.addEngine();
    await harness.client.send({ name: 'go', data: {} });
    await harness.engine.drain();

    const [run] = await harness.runs();
    expect(run?.status).toBe('completed');
    // b ran in both calls (the step in flight when a lease is lost may run again, as in Inngest);
    // the stale call's b was refused and it never ran c
    expect(run?.output).toBe(3);
    expect(effects).toEqual(['a', 'b', 'b', 'c3']);
    expect((await stepsOf(harness, run!.id)).map((s) => s.result.data)).toEqual([1, 3, 4]);
    expect(harness.traffic.checkpointStatuses.filter((status) => status === 409)).toHaveLength(1);
    const failed = await harness.db.execute(sql`select count(*)::int as n from dead_letters`);
    expect((failed as unknown as { n: number }[])[0]?.n).toBe(0);
  });

  it('completes a run and memoizes the steps sent with its result in one statement, under the lease', async () => {
    harness = await startHarness((client) => [
      client.createFunction({ id: 'target', triggers: [{ event: 'go' }] }, async () => 'ok'),
    ]);
    const h = harness;
    await h.client.send([{ name: 'go', data: { n: 1 } }, { name: 'go', data: { n: 2 } }]);
    const [one, two] = await claimDueRuns(h.db, 60_000, 2);
    const steps = [
      { stepId: 'a', result: { type: 'data' as const, data: 1 } },
      { stepId: 'b', result: { type: 'data' as const, data: { x: 2 } } },
    ];
    // a lost lease: nothing recorded, the run untouched
    await expect(completeRunUnderLease(h.db, { runId: one!.lease.runId, token: 'not-ours' }, 'done', steps)).rejects.toThrow(
      LeaseLostError,
    );
    expect(await stepsOf(h, one!.lease.runId)).toEqual([]);
    expect((await loadRun(h.db, one!.lease.runId))?.status).toBe('running');
    // ours: the steps in order and the completion together (a step already memoized keeps its result)
    await h.db.execute(
      sql`insert into engine_steps (run_id, step_id, result) values (${two!.lease.runId}, 'a', ${JSON.stringify({ type: 'data', data: 'first' })}::jsonb)`,
    );
    await completeRunUnderLease(h.db, one!.lease, { ok: true }, steps);
    await completeRunUnderLease(h.db, two!.lease, null, steps);
    expect((await stepsOf(h, one!.lease.runId)).map((s) => [s.step_id, s.result.data])).toEqual([
      ['a', 1],
      ['b', { x: 2 }],
    ]);
    expect((await stepsOf(h, two!.lease.runId)).map((s) => [s.step_id, s.result.data])).toEqual([
      ['a', 'first'],
      ['b', { x: 2 }],
    ]);
    const [done, doneNull] = [await loadRun(h.db, one!.lease.runId), await loadRun(h.db, two!.lease.runId)];
    expect(done).toMatchObject({ status: 'completed', output: { ok: true }, leaseToken: null });
    expect(doneNull).toMatchObject({ status: 'completed', output: null, leaseToken: null });
    const nulls = await h.db.execute(sql`select count(*)::int as n from engine_runs where id = ${two!.lease.runId} and output is null`);
    expect((nulls as unknown as { n: number }[])[0]?.n).toBe(1); // SQL NULL, as without steps
    // finished: a second completion is refused
    await expect(completeRunUnderLease(h.db, one!.lease, 'again', steps)).rejects.toThrow(LeaseLostError);
  });

  it('authenticates checkpoints and refuses them for unknown, finished or re-leased runs, changing nothing', async () => {
    harness = await startHarness((client) => [
      client.createFunction({ id: 'target', triggers: [{ event: 'go' }] }, async () => 'ok'),
    ]);
    const h = harness;
    await h.client.send({ name: 'go', data: {} });
    const [claimed] = await claimDueRuns(h.db, 60_000, 1);
    const { runId, token } = claimed!.lease;
    const functionId = claimed!.run.functionId;
    const post = (id: string, body: unknown, auth: string | null = `Bearer ${hashedSigningKey(h.signingKey)}`) =>
      fetch(`${h.engine.url}/v1/checkpoint/${id}/async`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(body),
      });
    const body = (steps: unknown[], qi = token) => ({ run_id: runId, fn_id: functionId, qi_id: qi, steps });
    const step = (id: string, data: unknown) => ({ id, op: 'StepRun', data });

    expect((await post(runId, body([step('s1', 'x')]), null)).status).toBe(401);
    expect((await post(runId, body([step('s1', 'x')]), 'Bearer signkey-test-wrong')).status).toBe(401);
    expect((await post('run_unknown', { ...body([step('s1', 'x')]), run_id: 'run_unknown' })).status).toBe(404);
    expect((await post(runId, body([step('s1', 'x')], 'another-claim'))).status).toBe(409);
    expect((await post(runId, { ...body([step('s1', 'x')]), fn_id: 'other-fn' })).status).toBe(409);
    expect((await post(runId, body([step('s1', 'x'), { id: 's2', op: 'Sleep' }]))).status).toBe(400);
    expect((await post(runId, { steps: 'nope' })).status).toBe(400);
    expect(await stepsOf(h, runId)).toEqual([]);

    const first = await post(runId, body([step('s1', 'x'), step('s2', { n: 1 })]));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ recorded: 2 });
    // a resend (the SDK retries a checkpoint whose answer it lost) is memoized once: first result wins
    const again = await post(runId, body([step('s1', 'changed')]));
    expect(await again.json()).toMatchObject({ recorded: 0 });
    expect((await stepsOf(h, runId)).map((s) => [s.step_id, s.result.data])).toEqual([
      ['s1', 'x'],
      ['s2', { n: 1 }],
    ]);

    await h.db.execute(sql`update engine_runs set status = 'completed', lease_token = null where id = ${runId}`);
    expect((await post(runId, body([step('s3', 'late')]))).status).toBe(409);
    expect(await stepsOf(h, runId)).toHaveLength(2);
  });
});
