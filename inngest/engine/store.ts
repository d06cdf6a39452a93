import { and, asc, eq, getTableColumns, inArray, notInArray, sql } from 'drizzle-orm';
import type { PgInsertValue } from 'drizzle-orm/pg-core';
import type { Db, DbOrTx, Tx } from '@/db/client';
import {
  engineCrons,
  engineFunctions,
  engineKeys,
  engineRuns,
  engineSteps,
  engineWaits,
  type EngineRunRow,
  type EngineWaitRow,
} from '@/db/schema';
import { randomToken } from '@/lib/ids';
import { nextCronTime } from './cron';
import { compileFunction, runPrioritySeconds, type CompiledFunction } from './function-config';
import { keyValue } from './expression';

/** NOTIFY channel that wakes every engine's worker loop when new work is due. */
export const WAKE_CHANNEL = 'paykit_engine_wake';
/** Event ids and idempotency keys are remembered this long, as in Inngest. */
const KEY_TTL = sql`interval '24 hours'`;

export type StepResult = { type: 'data'; data: unknown } | { type: 'error'; error: unknown };

export class LeaseLostError extends Error {
  constructor(runId: string) {
    super(`lease on run ${runId} was lost (another engine took it over)`);
    this.name = 'LeaseLostError';
  }
}

export function newRunId(): string {
  return `run_${randomToken(24)}`;
}

// ---------------------------------------------------------------- functions

export async function loadFunctions(db: DbOrTx): Promise<CompiledFunction[]> {
  const rows = await db.select({ config: engineFunctions.config }).from(engineFunctions);
  return rows.map((row) => compileFunction(row.config));
}

export async function loadFunction(db: DbOrTx, id: string): Promise<CompiledFunction | null> {
  const [row] = await db.select({ config: engineFunctions.config }).from(engineFunctions).where(eq(engineFunctions.id, id));
  return row ? compileFunction(row.config) : null;
}

/**
 * Compiled functions for one engine, so a step does not read and compile its function's config
 * again (one statement and a zod parse per call). Entries live `ttlMs`; a sync through this
 * engine clears them at once, and a function missing from the cache is looked up in the table
 * before it counts as unknown, so a sync by another engine is seen within `ttlMs` at worst.
 */
export class FunctionCache {
  private byId = new Map<string, CompiledFunction>();
  private loadedAt = 0;

  constructor(
    private readonly db: DbOrTx,
    private readonly ttlMs = 1_000,
  ) {}

  invalidate(): void {
    this.loadedAt = 0;
  }

  async all(): Promise<CompiledFunction[]> {
    if (Date.now() - this.loadedAt > this.ttlMs) {
      const fns = await loadFunctions(this.db);
      this.byId = new Map(fns.map((fn) => [fn.id, fn]));
      this.loadedAt = Date.now();
    }
    return [...this.byId.values()];
  }

  async get(id: string): Promise<CompiledFunction | null> {
    await this.all();
    const cached = this.byId.get(id);
    if (cached) return cached;
    const fn = await loadFunction(this.db, id);
    if (fn) this.byId.set(id, fn);
    return fn;
  }
}

/**
 * Replaces an app's function set. Every config is compiled first, so one unsupported feature
 * refuses the whole sync (loudly) instead of half-registering the app.
 */
export async function replaceAppFunctions(db: Db, appId: string, configs: unknown[]): Promise<CompiledFunction[]> {
  const problems: string[] = [];
  const compiled: { fn: CompiledFunction; config: Record<string, unknown> }[] = [];
  for (const config of configs) {
    try {
      compiled.push({ fn: compileFunction(config), config: config as Record<string, unknown> });
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  const ids = compiled.map(({ fn }) => fn.id);
  await db.transaction(async (tx) => {
    await tx
      .delete(engineFunctions)
      .where(
        ids.length
          ? and(eq(engineFunctions.appId, appId), notInArray(engineFunctions.id, ids))
          : eq(engineFunctions.appId, appId),
      );
    for (const { fn, config } of compiled) {
      await tx
        .insert(engineFunctions)
        .values({ id: fn.id, appId, name: fn.name, url: fn.url, config })
        .onConflictDoUpdate({
          target: engineFunctions.id,
          set: { appId, name: fn.name, url: fn.url, config, updatedAt: sql`now()` },
        });
    }
    await syncCrons(
      tx,
      compiled.map(({ fn }) => fn),
    );
  });
  return compiled.map(({ fn }) => fn);
}

async function syncCrons(tx: Tx, fns: CompiledFunction[]): Promise<void> {
  // drop schedules of functions that no longer exist or whose cron changed
  await tx.execute(sql`
    delete from engine_crons c
    where not exists (select 1 from engine_functions f where f.id = c.function_id)`);
  for (const fn of fns) {
    const current = await tx.select().from(engineCrons).where(eq(engineCrons.functionId, fn.id));
    const stale = current.filter((row) => !fn.crons.includes(row.cron)).map((row) => row.cron);
    if (stale.length) {
      await tx.delete(engineCrons).where(and(eq(engineCrons.functionId, fn.id), inArray(engineCrons.cron, stale)));
    }
    for (const cron of fn.crons) {
      // on conflict do nothing: a resync must not move an existing schedule
      await tx
        .insert(engineCrons)
        .values({ functionId: fn.id, cron, nextRunAt: nextCronTime(cron, new Date()) })
        .onConflictDoNothing();
    }
  }
}

// ---------------------------------------------------------------- keys

/**
 * Claims a key for 24 hours. True if it was free (never seen, or expired); false if it is a
 * duplicate. Two concurrent claims serialize on the primary key, so exactly one wins.
 */
export async function claimKey(tx: DbOrTx, scope: string, key: string): Promise<boolean> {
  return (await claimKeys(tx, scope, [key])).has(key);
}

/**
 * claimKey for several keys of one scope in ONE statement; returns the keys that were free. The
 * keys must be distinct (one statement cannot claim a key twice): a caller dedupes them first.
 */
export async function claimKeys(tx: DbOrTx, scope: string, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = (await tx.execute(sql`
    insert into engine_keys (scope, key, expires_at)
    select ${scope}, k, now() + ${KEY_TTL} from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) as k
    on conflict (scope, key) do update set expires_at = excluded.expires_at
      where engine_keys.expires_at <= now()
    returning key`)) as unknown as { key: string }[];
  return new Set(rows.map((row) => row.key));
}

export async function deleteExpiredKeys(db: DbOrTx): Promise<void> {
  await db.delete(engineKeys).where(sql`${engineKeys.expiresAt} <= now()`);
}

// ---------------------------------------------------------------- runs

export interface NewRunOptions {
  /** Replays skip the idempotency key on purpose: an operator asked for a fresh run. */
  skipIdempotency?: boolean;
  /** A batch run's events, oldest first (`event` is the first); omitted for a run of one event. */
  events?: Record<string, unknown>[];
  /** Its place in line (claims take the oldest run_at first); a batch queues from its first event. */
  queuedSince?: Date;
}

/** A run row as inserted (a column may be SQL, as run_at's priority offset is). */
export type NewRunRow = PgInsertValue<typeof engineRuns> & { id: string };

/**
 * The row of a run of `fn` for `event`, or null when the function's idempotency key was already
 * used (the key is claimed here, in the caller's transaction). insertRuns writes the rows.
 */
export async function planRun(
  tx: Tx,
  fn: CompiledFunction,
  event: Record<string, unknown>,
  options: NewRunOptions = {},
): Promise<NewRunRow | null> {
  if (fn.idempotencyKeyPath && !options.skipIdempotency) {
    const key = keyValue(event, fn.idempotencyKeyPath);
    if (key !== null && !(await claimKey(tx, `fn:${fn.id}`, key))) return null;
  }
  const concurrencyKey = fn.concurrency ? (fn.concurrency.keyPath ? (keyValue(event, fn.concurrency.keyPath) ?? '') : '') : null;
  // claims take due runs oldest run_at first: a priority moves the run's place in that line
  const priority = runPrioritySeconds(fn, event);
  return {
    id: newRunId(),
    functionId: fn.id,
    event,
    events: options.events ?? null,
    maxAttempts: fn.maxAttempts,
    concurrencyKey,
    concurrencyLimit: fn.concurrency?.limit ?? null,
    runAt: options.queuedSince ?? (priority === 0 ? sql`now()` : sql`now() - ${priority} * interval '1 second'`),
  };
}

/** Inserts planned runs in one statement; returns their ids. */
export async function insertRuns(tx: Tx, rows: NewRunRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  await tx.insert(engineRuns).values(rows);
  return rows.map((row) => row.id);
}

/** Creates a run of `fn` for `event`, unless the function's idempotency key was already used. */
export async function createRun(
  tx: Tx,
  fn: CompiledFunction,
  event: Record<string, unknown>,
  options: NewRunOptions = {},
): Promise<string | null> {
  const row = await planRun(tx, fn, event, options);
  return row ? (await insertRuns(tx, [row]))[0]! : null;
}

export async function notifyWorkers(tx: DbOrTx): Promise<void> {
  // delivered at commit, so a woken worker always sees the new rows
  await tx.execute(sql`select pg_notify(${WAKE_CHANNEL}, '')`);
}

export interface Lease {
  runId: string;
  token: string;
}

interface CandidateRow extends Record<string, unknown> {
  id: string;
  function_id: string;
  concurrency_key: string | null;
  concurrency_limit: number | null;
}

/** A run this engine now holds, read in the claim itself so the first call needs no extra reads. */
export interface ClaimedRun {
  lease: Lease;
  run: EngineRunRow;
  /** The run has unresolved sleeps or waits: expired ones are memoized before the first call. */
  hasOpenWaits: boolean;
  /** Its memoized steps, oldest first, read by the claim (the first call sends them). */
  steps: { stepId: string; result: StepResult }[];
}

/**
 * Claims up to `max` due runs (or runs whose lease expired because their worker died) in one
 * transaction: one candidate query, one UPDATE ... RETURNING for all of them. SKIP LOCKED lets
 * several engines claim side by side; the advisory lock per (function, key) makes the
 * concurrency count and the claim atomic across engines, and runs of one key claimed together
 * count against its limit too.
 */
export async function claimDueRuns(db: Db, leaseMs: number, max: number): Promise<ClaimedRun[]> {
  if (max <= 0) return [];
  return db.transaction(async (tx) => {
    const candidates = (await tx.execute(sql`
      select r.id, r.function_id, r.concurrency_key, r.concurrency_limit from engine_runs r
      where ((r.status in ('queued', 'sleeping', 'waiting') and r.run_at <= now())
          or (r.status = 'running' and r.lease_expires_at < now()))
        -- skip runs whose concurrency key is full, so they cannot starve other due work
        and (r.concurrency_limit is null or r.concurrency_key is null or (
          select count(*) from engine_runs b
           where b.function_id = r.function_id and b.concurrency_key = r.concurrency_key
             and b.status = 'running' and b.lease_expires_at > now()) < r.concurrency_limit)
      order by r.run_at
      limit ${Math.max(50, 2 * max)}
      for update of r skip locked`)) as unknown as CandidateRow[];
    const chosen: string[] = [];
    // running runs per (function, key), counted once under the key's lock, plus the ones chosen here
    const busyByKey = new Map<string, number>();
    for (const candidate of candidates) {
      if (chosen.length >= max) break;
      if (candidate.concurrency_key !== null && candidate.concurrency_limit !== null) {
        const key = `${candidate.function_id}/${candidate.concurrency_key}`;
        let busy = busyByKey.get(key);
        if (busy === undefined) {
          await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
          const [row] = (await tx.execute(sql`
            select count(*)::int as n from engine_runs
            where function_id = ${candidate.function_id} and concurrency_key = ${candidate.concurrency_key}
              and status = 'running' and lease_expires_at > now()`)) as unknown as { n: number }[];
          busy = row?.n ?? 0;
        }
        if (busy >= candidate.concurrency_limit) {
          busyByKey.set(key, busy);
          continue;
        }
        busyByKey.set(key, busy + 1);
      }
      chosen.push(candidate.id);
    }
    if (chosen.length === 0) return [];
    const token = randomToken(16);
    const rows = await tx
      .update(engineRuns)
      .set({
        status: 'running',
        leaseToken: token,
        leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
        updatedAt: sql`now()`,
      })
      .where(inArray(engineRuns.id, chosen))
      .returning({
        ...getTableColumns(engineRuns),
        hasOpenWaits: sql<boolean>`exists (select 1 from engine_waits w where w.run_id = ${engineRuns.id} and w.resolved_at is null)`,
        // the steps too, so a claimed run's first call needs no read of its own
        steps: sql<{ stepId: string; result: StepResult }[]>`(
          select coalesce(jsonb_agg(jsonb_build_object('stepId', s.step_id, 'result', s.result) order by s.seq), '[]'::jsonb)
            from engine_steps s where s.run_id = ${engineRuns.id})`,
      });
    const byId = new Map(rows.map((row) => [row.id, row]));
    // in candidate order (oldest due first), as the caller starts them
    return chosen.flatMap((id) => {
      const row = byId.get(id);
      if (!row) return [];
      const { hasOpenWaits, steps, ...run } = row;
      return [{ lease: { runId: id, token }, run, hasOpenWaits: Boolean(hasOpenWaits), steps }];
    });
  });
}

/** Claims one due run (see claimDueRuns). */
export async function claimDueRun(db: Db, leaseMs: number): Promise<Lease | null> {
  const [claimed] = await claimDueRuns(db, leaseMs, 1);
  return claimed?.lease ?? null;
}

export async function extendLease(db: Db, lease: Lease, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(engineRuns)
    .set({ leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(engineRuns.id, lease.runId), eq(engineRuns.leaseToken, lease.token), eq(engineRuns.status, 'running')))
    .returning({ id: engineRuns.id });
  return rows.length > 0;
}

/** Runs `work` in a transaction only while the lease is still ours; the row lock keeps it ours. */
export async function withLease<T>(db: Db, lease: Lease, work: (tx: Tx, run: EngineRunRow) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const [run] = await tx
      .select()
      .from(engineRuns)
      .where(and(eq(engineRuns.id, lease.runId), eq(engineRuns.leaseToken, lease.token), eq(engineRuns.status, 'running')))
      .for('update');
    if (!run) throw new LeaseLostError(lease.runId);
    return work(tx, run);
  });
}

export async function loadRun(db: DbOrTx, runId: string): Promise<EngineRunRow | null> {
  const [run] = await db.select().from(engineRuns).where(eq(engineRuns.id, runId));
  return run ?? null;
}

export async function loadSteps(db: DbOrTx, runId: string): Promise<{ stepId: string; result: StepResult }[]> {
  const rows = await db
    .select({ stepId: engineSteps.stepId, result: engineSteps.result })
    .from(engineSteps)
    .where(eq(engineSteps.runId, runId))
    .orderBy(asc(engineSteps.seq));
  return rows.map((row) => ({ stepId: row.stepId, result: row.result as StepResult }));
}

/** Records a step's result. First result wins (on conflict do nothing), so a step is memoized once. */
export async function recordStep(tx: Tx, runId: string, stepId: string, result: StepResult): Promise<void> {
  await tx.insert(engineSteps).values({ runId, stepId, result }).onConflictDoNothing();
  // a completed step starts the next one at attempt 0 (attempts count per step, as in Inngest)
  await tx
    .update(engineRuns)
    .set({ attempt: 0, updatedAt: sql`now()` })
    .where(eq(engineRuns.id, runId));
}

const releaseLease = { leaseToken: null, leaseExpiresAt: null, updatedAt: sql`now()` } as const;

/**
 * recordStep for the common case (one step finished), as ONE statement: the lease check (the
 * row lock of the UPDATE), the step insert and the attempt reset commit together or not at all.
 * Throws LeaseLostError when the run is no longer ours; returns false when the step had already
 * been recorded (the first result wins), so the caller re-reads the memoized steps.
 */
export async function recordStepUnderLease(db: Db, lease: Lease, stepId: string, result: StepResult): Promise<boolean> {
  const [row] = (await db.execute(sql`
    with run as (
      update engine_runs set attempt = 0, updated_at = now()
      where id = ${lease.runId} and lease_token = ${lease.token} and status = 'running'
      returning id
    ), ${memoizeStepsCte([{ stepId, result }])}
    select (select count(*) from run)::int as owned, (select count(*) from step)::int as inserted`)) as unknown as {
    owned: number;
    inserted: number;
  }[];
  if (!row?.owned) throw new LeaseLostError(lease.runId);
  return row.inserted > 0;
}

/**
 * The `step` CTE of a lease-checked statement: memoizes `steps` for the run its `run` CTE
 * returned (none when the lease check found nothing), in order, a step already recorded keeping its
 * first result.
 */
function memoizeStepsCte(steps: { stepId: string; result: StepResult }[]) {
  const rows = steps.map((step, ord) => ({ ord, step_id: step.stepId, result: step.result }));
  return sql`step as (
      insert into engine_steps (run_id, step_id, result)
      select run.id, s.step_id, s.result
      from run, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as s(ord int, step_id text, result jsonb)
      order by s.ord
      on conflict do nothing
      returning 1
    )`;
}

/** Why a checkpoint was not recorded: the run does not exist, or this dispatch no longer holds it. */
export type CheckpointRefusal = { reason: 'unknown-run' } | { reason: 'stale'; status: string };

/**
 * Records the steps an SDK checkpointed mid-request (Inngest's async checkpoint), as ONE statement
 * with the same guarantees as recordStepUnderLease: the UPDATE's row lock is the lease check (the
 * lease token is the queue item id the engine handed the SDK, and the function must match), the
 * steps go in together and in order, a step already memoized keeps its first result. Returns the
 * number of steps newly recorded, or why nothing was.
 */
export async function recordCheckpointUnderLease(
  db: Db,
  checkpoint: { runId: string; token: string; functionId: string },
  steps: { stepId: string; result: StepResult }[],
): Promise<{ recorded: number } | CheckpointRefusal> {
  const [row] = (await db.execute(sql`
    with run as (
      update engine_runs set attempt = 0, updated_at = now()
      where id = ${checkpoint.runId} and lease_token = ${checkpoint.token} and status = 'running'
        and function_id = ${checkpoint.functionId}
      returning id
    ), ${memoizeStepsCte(steps)}
    select (select count(*) from run)::int as owned, (select count(*) from step)::int as inserted,
      (select status from engine_runs where id = ${checkpoint.runId}) as status`)) as unknown as {
    owned: number;
    inserted: number;
    status: string | null;
  }[];
  if (row?.owned) return { recorded: row.inserted };
  if (!row?.status) return { reason: 'unknown-run' };
  return { reason: 'stale', status: row.status };
}

/**
 * completeRun as one statement whose WHERE is the lease check. `steps` are the ones the SDK sent
 * with the result (still buffered when the function returned): they are memoized by the same
 * statement (in order, a step already recorded keeping its first result), so the run's record
 * holds every step it ran and the two commit together or not at all.
 */
export async function completeRunUnderLease(
  db: Db,
  lease: Lease,
  output: unknown,
  steps: { stepId: string; result: StepResult }[] = [],
): Promise<void> {
  const [row] = (await db.execute(sql`
    with run as (
      update engine_runs set status = 'completed', lease_token = null, lease_expires_at = null,
        output = ${output === undefined || output === null ? null : JSON.stringify(output)}::jsonb, updated_at = now(), ended_at = now()
      where id = ${lease.runId} and lease_token = ${lease.token} and status = 'running'
      returning id
    ), ${memoizeStepsCte(steps)}
    select (select count(*) from run)::int as owned`)) as unknown as { owned: number }[];
  if (!row?.owned) throw new LeaseLostError(lease.runId);
}

export async function rescheduleRun(
  tx: Tx,
  runId: string,
  changes: {
    status: 'queued' | 'sleeping' | 'waiting';
    runAt: Date | 'now';
    attempt?: number;
    lastError?: Record<string, unknown>;
  },
): Promise<void> {
  await tx
    .update(engineRuns)
    .set({
      ...releaseLease,
      status: changes.status,
      runAt: changes.runAt === 'now' ? sql`now()` : changes.runAt,
      ...(changes.attempt === undefined ? {} : { attempt: changes.attempt }),
      ...(changes.lastError === undefined ? {} : { lastError: changes.lastError }),
    })
    .where(eq(engineRuns.id, runId));
}

export async function completeRun(tx: Tx, runId: string, output: unknown): Promise<void> {
  await tx
    .update(engineRuns)
    .set({ ...releaseLease, status: 'completed', output: output ?? null, endedAt: sql`now()` })
    .where(eq(engineRuns.id, runId));
}

/**
 * Marks the run failed for good. The dead letter is not written here: the engine sends
 * "inngest/function.failed" (as real Inngest does) and lib/dead-letters records it from that
 * event, so dead letters work the same on either engine.
 */
export async function markRunFailed(tx: Tx, run: EngineRunRow, error: Record<string, unknown>): Promise<void> {
  await tx
    .update(engineRuns)
    .set({ ...releaseLease, status: 'failed', lastError: error, endedAt: sql`now()` })
    .where(eq(engineRuns.id, run.id));
}

// ---------------------------------------------------------------- waits (sleep, waitForEvent)

/** Creates the wait once; later sightings of the same op read the stored deadline. */
export async function ensureWait(
  tx: Tx,
  wait: { runId: string; stepId: string; kind: 'sleep' | 'event'; eventName?: string; expression?: string; expiresAt: Date },
): Promise<EngineWaitRow> {
  await tx
    .insert(engineWaits)
    .values({
      runId: wait.runId,
      stepId: wait.stepId,
      kind: wait.kind,
      eventName: wait.eventName ?? null,
      expression: wait.expression ?? null,
      expiresAt: wait.expiresAt,
    })
    .onConflictDoNothing();
  const [row] = await tx
    .select()
    .from(engineWaits)
    .where(and(eq(engineWaits.runId, wait.runId), eq(engineWaits.stepId, wait.stepId)));
  return row!;
}

/**
 * Resolves a wait exactly once: the conditional update lets either the matching event or the
 * timeout win, never both, and the winner records the step result in the same transaction.
 */
export async function resolveWait(tx: Tx, runId: string, stepId: string, data: unknown): Promise<boolean> {
  const resolved = await tx
    .update(engineWaits)
    .set({ resolvedAt: sql`now()` })
    .where(and(eq(engineWaits.runId, runId), eq(engineWaits.stepId, stepId), sql`${engineWaits.resolvedAt} is null`))
    .returning({ runId: engineWaits.runId });
  if (!resolved.length) return false;
  await tx
    .insert(engineSteps)
    .values({ runId, stepId, result: { type: 'data', data } })
    .onConflictDoNothing();
  return true;
}

/** Sleeps that ended and waits that timed out resolve to null (step.waitForEvent's timeout value). */
export async function resolveExpiredWaits(tx: Tx, runId: string): Promise<number> {
  const expired = await tx
    .select({ stepId: engineWaits.stepId })
    .from(engineWaits)
    .where(and(eq(engineWaits.runId, runId), sql`${engineWaits.resolvedAt} is null`, sql`${engineWaits.expiresAt} <= now()`));
  let count = 0;
  for (const { stepId } of expired) if (await resolveWait(tx, runId, stepId, null)) count++;
  return count;
}

/** Open, unexpired waits for any of these event names, locked, oldest first. */
export async function openEventWaits(
  tx: Tx,
  eventNames: string[],
): Promise<(EngineWaitRow & { runEvent: Record<string, unknown> })[]> {
  if (eventNames.length === 0) return [];
  const rows = await tx
    .select({ wait: engineWaits, runEvent: engineRuns.event })
    .from(engineWaits)
    .innerJoin(engineRuns, eq(engineRuns.id, engineWaits.runId))
    .where(
      and(
        eq(engineWaits.kind, 'event'),
        inArray(engineWaits.eventName, eventNames),
        sql`${engineWaits.resolvedAt} is null`,
        sql`${engineWaits.expiresAt} > now()`,
      ),
    )
    .orderBy(asc(engineWaits.createdAt))
    .for('update', { of: engineWaits });
  return rows.map((row) => ({ ...row.wait, runEvent: row.runEvent }));
}

/** Wakes a parked run now (its wait was resolved by an event). Leaves a running run alone. */
export async function wakeRun(tx: Tx, runId: string): Promise<void> {
  await tx
    .update(engineRuns)
    .set({ status: 'queued', runAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(engineRuns.id, runId), inArray(engineRuns.status, ['sleeping', 'waiting'])));
}
