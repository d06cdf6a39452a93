import { afterEach, describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { journalTransactions, outboxEvents, paymentAttempts } from '@/db/schema';
import { defineLedgerPostCapture } from '@/inngest/functions/ledger-post-capture';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { ensureCapturePosted, ensureCapturesPosted } from '@/lib/ledger';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { commitSucceededPayment } from '@/tests/helpers/succeeded-payment';
import { assertLedgerInvariants, insertLedgerMerchant } from '@/tests/helpers/ledger-invariants';

/**
 * ledger-post-capture takes its events in batches (batchEvents) and books a batch with one
 * statement: N payments -> N postings, each once, in far fewer database transactions than N
 * (counted: the distinct xmin of the journal rows is the number of transactions that wrote them).
 */

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A real succeeded card payment (through the state machine, which writes the outbox event): its event id. */
async function succeededPayment(merchantId: string, amount: number): Promise<string> {
  return (await commitSucceededPayment(merchantId, { amount })).eventId;
}

async function relayAll(h: Harness): Promise<void> {
  while ((await relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined))) > 0);
}

async function postingsOf(eventIds: string[]) {
  const rows = (await getDb().execute(sql`
    select event_id, count(*)::int as n, xmin::text as tx from journal_transactions
     where kind = 'capture' and event_id = any(string_to_array(${eventIds.join(',')}, ',')) group by event_id, xmin`)) as unknown as {
    event_id: string;
    n: number;
    tx: string;
  }[];
  return { perEvent: new Map(rows.map((r) => [r.event_id, r.n])), transactions: new Set(rows.map((r) => r.tx)).size };
}

describe('ledger-post-capture in batches', () => {
  it('books 120 payments once each in 2 batch runs and 2 transactions, and the ledger balances', async () => {
    harness = await startHarness((client) => [defineLedgerPostCapture(client, { batch: true })]);
    const merchantId = await insertLedgerMerchant();
    const n = 120;
    const eventIds: string[] = [];
    for (let i = 0; i < n; i++) eventIds.push(await succeededPayment(merchantId, 1_000 + i));
    await relayAll(harness);
    await harness.engine.drain(); // the 20 left after the first full batch start at the timeout
    const { perEvent, transactions } = await postingsOf(eventIds);
    expect(perEvent.size).toBe(n);
    expect([...perEvent.values()].every((count) => count === 1)).toBe(true);
    // one run (and one commit) per 100 payments, not one per payment
    const runs = await harness.runs(`${harness.client.id}-ledger-post-capture`);
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(transactions).toBe(2);
    expect(runs.map((r) => (r.output as { posted: number }).posted).sort((a, b) => a - b)).toEqual([20, 100]);
    await assertLedgerInvariants();
  });

  it('books only what is missing from a batch partly posted already (a refund came first) and a redelivered one', async () => {
    harness = await startHarness((client) => [defineLedgerPostCapture(client, { batch: true })]);
    const merchantId = await insertLedgerMerchant();
    const eventIds: string[] = [];
    for (let i = 0; i < 10; i++) eventIds.push(await succeededPayment(merchantId, 2_000));
    // three captures are in the ledger before their events arrive (as when a refund comes first)
    for (const id of eventIds.slice(0, 3)) await ensureCapturePosted(getDb(), id);
    await relayAll(harness);
    await harness.engine.drain();
    const [run] = await harness.runs(`${harness.client.id}-ledger-post-capture`);
    expect(run?.output).toEqual({ posted: 10, created: 7 });
    // the whole batch again (a retry after a crash, a redelivery): nothing new
    const again = await ensureCapturesPosted(getDb(), eventIds);
    expect(again.every((r) => r.ok && !r.created)).toBe(true);
    const { perEvent } = await postingsOf(eventIds);
    expect([...perEvent.values()]).toEqual(Array(10).fill(1));
    await assertLedgerInvariants();
  });

  it('posts the good events of a batch and reports the one it cannot book, which the retry then books', async () => {
    const merchantId = await insertLedgerMerchant();
    const good = [await succeededPayment(merchantId, 3_000), await succeededPayment(merchantId, 3_100)];
    const broken = await succeededPayment(merchantId, 3_200);
    // the succeeded attempt is not visible (yet): booking it under a guessed PSP would be wrong
    const [brokenEvent] = await getDb().select().from(outboxEvents).where(eq(outboxEvents.id, broken));
    await getDb().update(paymentAttempts).set({ status: 'pending' }).where(eq(paymentAttempts.paymentIntentId, brokenEvent!.aggregateId));
    const first = await ensureCapturesPosted(getDb(), [...good, broken]);
    expect(first.map((r) => r.ok)).toEqual([true, true, false]);
    expect(first[2]).toMatchObject({ ok: false, error: expect.stringMatching(/no succeeded attempt/) });
    const booked = await getDb().select().from(journalTransactions).where(inArray(journalTransactions.eventId, [...good, broken]));
    expect(booked.map((b) => b.eventId).sort()).toEqual([...good].sort());
    await getDb().update(paymentAttempts).set({ status: 'succeeded' }).where(eq(paymentAttempts.paymentIntentId, brokenEvent!.aggregateId));
    const retry = await ensureCapturesPosted(getDb(), [...good, broken]);
    expect(retry.map((r) => r.ok && r.created)).toEqual([false, false, true]);
    await assertLedgerInvariants();
  });
});
