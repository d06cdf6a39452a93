import { isNull } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents } from '@/db/schema';
import { newId } from '@/lib/ids';
import { RELAY_BATCH_LIMIT, startOutboxRelay, type RelayLoop, type RelayedEvent } from '@/lib/events/relay';
import { createTestMerchant } from '../helpers/test-app';
import { waitUntil } from '../helpers/wait';

// The relay loop (startOutboxRelay) on its own: how it groups events into batches. Only NOTIFY
// wakes it here (the poll is a minute), so every batch below is one the loop chose to read.

let relay: RelayLoop | null = null;
afterEach(async () => {
  await relay?.stop();
  relay = null;
});

async function writeEvents(merchantId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId('event'));
  await getDb()
    .insert(outboxEvents)
    .values(ids.map((id) => ({ id, merchantId, type: 'payment_intent.created' as const, aggregateType: 'payment_intent' as const, aggregateId: `pi_${id}`, data: {} })));
  return ids;
}

async function unsentCount(): Promise<number> {
  return (await getDb().select({ id: outboxEvents.id }).from(outboxEvents).where(isNull(outboxEvents.sentAt))).length;
}

function recordingRelay(gatherMs: number) {
  const batches: string[][] = [];
  relay = startOutboxRelay({
    send: async (events: RelayedEvent[]) => void batches.push(events.map((e) => e.id)),
    pollMs: 60_000,
    gatherMs,
  });
  return batches;
}

describe('the outbox relay loop', () => {
  it('sends a lone event at once, then gathers the events written while it waits into one batch', async () => {
    const { merchant } = await createTestMerchant();
    // the listener subscribes asynchronously; an event before it would wait for the minute's poll
    const batches = recordingRelay(1_500);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const [first] = await writeEvents(merchant.id, 1);
    await waitUntil(async () => batches.length === 1 && (await unsentCount()) === 0, 10_000, 5);
    expect(batches[0]).toEqual([first]);

    // five events in five transactions, 10 ms apart, inside the gather window that batch opened:
    // without the wait each one's NOTIFY would start a batch of its own
    const later: string[] = [];
    for (let i = 0; i < 5; i++) {
      later.push(...(await writeEvents(merchant.id, 1)));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitUntil(async () => (await unsentCount()) === 0, 10_000, 20);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toEqual(later);
  });

  it('drains a backlog of full batches without waiting between them', async () => {
    const { merchant } = await createTestMerchant();
    const ids = await writeEvents(merchant.id, 2 * RELAY_BATCH_LIMIT + 50);
    // a minute's gather: only full batches may go out back to back within the test
    const batches = recordingRelay(60_000);
    await waitUntil(async () => (await unsentCount()) === 0, 10_000, 20);
    expect(batches.map((b) => b.length)).toEqual([RELAY_BATCH_LIMIT, RELAY_BATCH_LIMIT, 50]);
    expect(batches.flat()).toEqual(ids);
  });

  it('stops while it gathers', async () => {
    const { merchant } = await createTestMerchant();
    await writeEvents(merchant.id, 1);
    const batches = recordingRelay(600_000);
    await waitUntil(async () => batches.length === 1 && (await unsentCount()) === 0, 10_000, 5);
    // the loop now sleeps for ten minutes; stop ends the sleep (the test's 30 s timeout is the check)
    await relay!.stop();
    relay = null;
  });
});
