import { sql } from 'drizzle-orm';
import type { Db, Tx } from '@/db/client';
import { keyValue } from './expression';
import type { CompiledFunction } from './function-config';
import { createRun, notifyWorkers, type FunctionCache } from './store';

/**
 * batchEvents (Inngest's event batching) in Postgres. An event for a batched function becomes a
 * row of engine_batch_items in the ingest transaction; a batch run is formed by ONE statement that
 * deletes up to maxSize of a (function, key)'s oldest rows and returns them, in the transaction
 * that inserts the run. A row can be deleted once, so an event is in exactly one batch even when
 * two engines (or an ingest and a timeout scan) form batches at the same moment.
 *
 * A batch starts when it is full (checked at ingest) or when its first event has waited the
 * function's timeout (the engine's scan, startDueBatches). Both take an advisory lock per
 * (function, key), held to commit, before they take events, so batches of one key are formed one
 * at a time and each sees what the previous one left.
 */

interface PendingItem {
  function_id: string;
  batch_key: string;
  event: Record<string, unknown>;
  timeout_ms: number;
}

interface Group {
  fn: CompiledFunction;
  key: string;
}

function groupId(functionId: string, key: string): string {
  return `${functionId}/${key}`;
}

/** The batch key of an event: the value at batchEvents.key, '' without a key (or a missing value). */
export function batchKeyOf(fn: CompiledFunction, event: Record<string, unknown>): string {
  return fn.batch?.keyPath ? (keyValue(event, fn.batch.keyPath) ?? '') : '';
}

/** Events of one transaction waiting to join their batches; flush() writes them and starts full batches. */
export class BatchAppends {
  private readonly items: PendingItem[] = [];
  private readonly groups = new Map<string, Group>();

  add(fn: CompiledFunction, event: Record<string, unknown>): void {
    const key = batchKeyOf(fn, event);
    this.items.push({ function_id: fn.id, batch_key: key, event, timeout_ms: fn.batch!.timeoutMs });
    this.groups.set(groupId(fn.id, key), { fn, key });
  }

  /** Inserts the events (one statement) and starts every batch that is now full. Returns run ids. */
  async flush(tx: Tx): Promise<string[]> {
    if (this.items.length === 0) return [];
    const items = this.items.splice(0);
    // seq follows the order the events came in (a batch hands them to the function in that order).
    // The count beside it sees the rows committed before this statement (not the ones it adds): a
    // batch that cannot be full yet is left alone without its lock. Two ingests racing to fill
    // one batch may both see it short; it then starts at its timeout, which is still correct.
    const counted = (await tx.execute(sql`
      with added as (
        insert into engine_batch_items (function_id, batch_key, event, due_at)
        select i.function_id, i.batch_key, i.event, now() + i.timeout_ms * interval '1 millisecond'
          from rows from (jsonb_to_recordset(${JSON.stringify(items)}::jsonb)
                 as (function_id text, batch_key text, event jsonb, timeout_ms bigint))
               with ordinality as i(function_id, batch_key, event, timeout_ms, ord)
         order by i.ord
        returning function_id, batch_key
      )
      select a.function_id, a.batch_key, count(*)::int
             + (select count(*) from engine_batch_items b where b.function_id = a.function_id and b.batch_key = a.batch_key)::int as pending
        from added a group by a.function_id, a.batch_key`)) as unknown as {
      function_id: string;
      batch_key: string;
      pending: number;
    }[];
    const pending = new Map(counted.map((row) => [groupId(row.function_id, row.batch_key), Number(row.pending)]));
    const runIds: string[] = [];
    // locks in one order, so two ingests appending to the same batches cannot deadlock
    const groups = [...this.groups.entries()]
      .filter(([id, g]) => (pending.get(id) ?? 0) >= (g.fn.batch?.maxSize ?? 1))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => g);
    this.groups.clear();
    for (const group of groups) {
      await lockBatch(tx, group.fn.id, group.key);
      for (;;) {
        const runId = await startBatch(tx, group.fn, group.key, 'full');
        if (!runId) break;
        runIds.push(runId);
      }
    }
    return runIds;
  }
}

async function lockBatch(tx: Tx, functionId: string, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`engine-batch:${groupId(functionId, key)}`}, 0))`);
}

/**
 * Takes up to maxSize of the batch's oldest events and starts one run with them, if the batch is
 * full ('full') or its first event is due ('due'). Returns the run id, or null if it was neither.
 */
async function startBatch(tx: Tx, fn: CompiledFunction, key: string, when: 'full' | 'due'): Promise<string | null> {
  // a function whose batching was removed since its events arrived still gets them, in batches of 100
  const maxSize = fn.batch?.maxSize ?? 100;
  const ready =
    when === 'full'
      ? sql`(select count(*) from picked) >= ${maxSize}`
      : sql`exists (select 1 from engine_batch_items d where d.function_id = ${fn.id} and d.batch_key = ${key} and d.due_at <= now())`;
  const rows = (await tx.execute(sql`
    with picked as (
      select seq from engine_batch_items
       where function_id = ${fn.id} and batch_key = ${key}
       order by seq
       limit ${maxSize}
       for update
    )
    delete from engine_batch_items i using picked
     where i.seq = picked.seq and ${ready}
    returning i.seq, i.event, i.created_at`)) as unknown as {
    seq: string | number;
    event: Record<string, unknown>;
    created_at: Date | string;
  }[];
  if (rows.length === 0) return null;
  rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  const events = rows.map((row) => row.event);
  // in line from its first event's arrival, not behind the work that came while it filled up
  return createRun(tx, fn, events[0]!, { events, queuedSince: new Date(rows[0]!.created_at) });
}

/**
 * Starts the batches whose first event has waited its timeout, each in its own transaction (under
 * the batch's lock, re-checked there: another engine may have just started it). Returns the runs
 * started and how long until the next open batch is due (null: none open), so the caller need not
 * look again before then.
 */
export async function startDueBatches(
  db: Db,
  functions: FunctionCache,
): Promise<{ started: number; nextDueInMs: number | null }> {
  const open = (await db.execute(sql`
    select i.function_id, i.batch_key, (extract(epoch from (min(i.due_at) - now())) * 1000)::float8 as due_in_ms
      from engine_batch_items i
     where exists (select 1 from engine_functions f where f.id = i.function_id)
     group by i.function_id, i.batch_key`)) as unknown as { function_id: string; batch_key: string; due_in_ms: number }[];
  let started = 0;
  let nextDueInMs: number | null = null;
  for (const { function_id: functionId, batch_key: key, due_in_ms: dueInMs } of open) {
    const fn = Number(dueInMs) <= 0 ? await functions.get(functionId) : null;
    if (!fn) {
      nextDueInMs = Math.min(nextDueInMs ?? Infinity, Math.max(0, Number(dueInMs)));
      continue;
    }
    started += await db.transaction(async (tx) => {
      await lockBatch(tx, functionId, key);
      let count = 0;
      // more than one batch is due only when events piled up beyond maxSize (e.g. maxSize was lowered)
      while (count < 10 && (await startBatch(tx, fn, key, 'due'))) count++;
      if (count) await notifyWorkers(tx);
      return count;
    });
    // what is left of it (more than maxSize were waiting) opens a batch that is due at once or soon
    nextDueInMs = Math.min(nextDueInMs ?? Infinity, fn.batch?.timeoutMs ?? 0);
  }
  return { started, nextDueInMs };
}

/** Milliseconds until the next open batch of a registered function is due (0 if one is), or null for none. */
export async function nextBatchDueInMs(db: Db): Promise<number | null> {
  const [row] = (await db.execute(sql`
    select (extract(epoch from (min(i.due_at) - now())) * 1000)::float8 as ms from engine_batch_items i
     where exists (select 1 from engine_functions f where f.id = i.function_id)`)) as unknown as { ms: number | null }[];
  return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Number(row.ms));
}
