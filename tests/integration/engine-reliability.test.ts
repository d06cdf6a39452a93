import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { NonRetriableError, type FailureEventArgs } from 'inngest';
import { deadLetterReplayer } from '@/inngest/dead-letter-replay';
import { replayDeadLetter } from '@/lib/dead-letters';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function deadLetters(h: Harness) {
  return (await h.db.execute(sql`select * from dead_letters order by created_at`)) as unknown as Record<string, unknown>[];
}

describe('embedded engine: retries, failures and exactly-once', () => {
  it('retries a failing step with backoff, then succeeds', async () => {
    let tries = 0;
    harness = await startHarness((client) => [
      client.createFunction({ id: 'flaky', triggers: [{ event: 'charge' }], retries: 3 }, async ({ step }) => {
        return step.run('call-psp', () => {
          tries++;
          if (tries < 3) throw new Error(`psp timeout #${tries}`);
          return 'captured';
        });
      }),
    ]);
    await harness.client.send({ name: 'charge', data: {} });
    const done = await harness.waitFor(async () => (await harness!.runs()).find((r) => r.status === 'completed'));
    expect(tries).toBe(3);
    expect(done.output).toBe('captured');
  });

  it('honours `retries`: exhausting them fails the run into the dead-letter table', async () => {
    let tries = 0;
    harness = await startHarness((client) => [
      client.createFunction({ id: 'always-fails', triggers: [{ event: 'charge' }], retries: 2 }, async ({ step }) => {
        await step.run('call-psp', () => {
          tries++;
          throw new Error('psp down');
        });
      }),
    ]);
    await harness.client.send({ name: 'charge', data: { merchantId: 'mer_1' } });
    await harness.waitFor(async () => (await harness!.runs()).find((r) => r.status === 'failed'));
    expect(tries).toBe(3); // 1 + 2 retries
    const [letter] = await deadLetters(harness);
    expect(letter).toMatchObject({ event_name: 'charge', merchant_id: 'mer_1' });
    expect(JSON.stringify(letter?.error)).toContain('psp down');
  });

  it('NonRetriableError in a step is not retried, dead-letters the run, and replay starts a fresh run', async () => {
    let tries = 0;
    let failOnce = true;
    harness = await startHarness((client) => [
      client.createFunction({ id: 'strict', triggers: [{ event: 'refund' }], retries: 5 }, async ({ step, event }) => {
        return step.run('validate', () => {
          tries++;
          if (failOnce) throw new NonRetriableError(`refund ${String(event.data.refundId)} is not allowed`);
          return 'refunded';
        });
      }),
    ]);
    await harness.client.send({ name: 'refund', data: { refundId: 're_1', merchant_id: 'mer_9' } });
    await harness.engine.drain();
    expect(tries).toBe(1);
    const [failed] = await harness.runs();
    expect(failed?.status).toBe('failed');
    expect(JSON.stringify(failed?.lastError)).toContain('refund re_1 is not allowed');
    const [letter] = await deadLetters(harness);
    expect(letter).toMatchObject({ run_id: failed!.id, merchant_id: 'mer_9', replayed_at: null });

    failOnce = false;
    const { runId } = await replayDeadLetter('mer_9', String(letter!.id), deadLetterReplayer('embedded'));
    await harness.engine.drain();
    const replayed = (await harness.runs()).find((r) => r.id === runId);
    expect(replayed?.status).toBe('completed');
    expect(replayed?.event).toEqual(failed?.event);
    expect((await deadLetters(harness))[0]?.replayed_at).not.toBeNull();
  });

  it('onFailure runs with the failed run’s event and error', async () => {
    const failures: { original: unknown; message: string }[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        {
          id: 'with-handler',
          triggers: [{ event: 'payout' }],
          retries: 0,
          onFailure: async ({ event, error }: FailureEventArgs) => {
            failures.push({ original: event.data.event.data, message: error.message });
          },
        },
        async () => {
          throw new Error('bank rejected payout');
        },
      ),
    ]);
    await harness.client.send({ name: 'payout', data: { payoutId: 'po_1' } });
    await harness.engine.drain();
    expect(failures).toEqual([{ original: { payoutId: 'po_1' }, message: 'bank rejected payout' }]);
  });

  it('dedupes events by id for 24h: the same id sent twice runs functions once', async () => {
    let runs = 0;
    harness = await startHarness((client) => [
      client.createFunction({ id: 'ledger', triggers: [{ event: 'payment_intent.succeeded' }] }, async () => {
        runs++;
      }),
    ]);
    const first = await harness.client.send({ id: 'evt_same', name: 'payment_intent.succeeded', data: {} });
    const second = await harness.client.send({ id: 'evt_same', name: 'payment_intent.succeeded', data: {} });
    expect(second.ids).toEqual(first.ids);
    await harness.engine.drain();
    expect(runs).toBe(1);
  });

  it('an idempotency key allows one run per key per 24h', async () => {
    const seen: string[] = [];
    harness = await startHarness((client) => [
      client.createFunction(
        { id: 'once-per-payment', triggers: [{ event: 'capture' }], idempotency: 'event.data.paymentId' },
        async ({ event }) => {
          seen.push(String(event.data.paymentId));
        },
      ),
    ]);
    await harness.client.send([
      { name: 'capture', data: { paymentId: 'pi_1' } },
      { name: 'capture', data: { paymentId: 'pi_1' } },
      { name: 'capture', data: { paymentId: 'pi_2' } },
    ]);
    await harness.engine.drain();
    expect(seen.sort()).toEqual(['pi_1', 'pi_2']);
  });

  it('concurrency { limit: 1, key } serializes runs with the same key and lets other keys run', async () => {
    const active = new Map<string, number>();
    const maxActive = new Map<string, number>();
    let maxOverall = 0;
    let overall = 0;
    harness = await startHarness(
      (client) => [
        client.createFunction(
          { id: 'per-merchant', triggers: [{ event: 'settle' }], concurrency: { limit: 1, key: 'event.data.merchantId' } },
          async ({ step, event }) => {
            const merchant = String(event.data.merchantId);
            await step.run('work', async () => {
              active.set(merchant, (active.get(merchant) ?? 0) + 1);
              overall++;
              maxActive.set(merchant, Math.max(maxActive.get(merchant) ?? 0, active.get(merchant)!));
              maxOverall = Math.max(maxOverall, overall);
              await new Promise((resolve) => setTimeout(resolve, 300));
              active.set(merchant, active.get(merchant)! - 1);
              overall--;
            });
          },
        ),
      ],
      { maxConcurrentRuns: 10 },
    );
    await harness.client.send([
      { name: 'settle', data: { merchantId: 'm1' } },
      { name: 'settle', data: { merchantId: 'm1' } },
      { name: 'settle', data: { merchantId: 'm2' } },
    ]);
    await harness.waitFor(async () => (await harness!.runs()).every((r) => r.status === 'completed'));
    expect(maxActive.get('m1')).toBe(1);
    expect(maxOverall).toBe(2); // m2 ran beside m1
  });
});
