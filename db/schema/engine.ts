import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * State of the embedded background engine (inngest/engine). It runs our Inngest functions through
 * the SDK's public serve protocol; everything it needs to resume after a crash lives here.
 */

/** Functions synced from the app's serve endpoint (one row per function config). */
export const engineFunctions = pgTable('engine_functions', {
  /** Composite id as the SDK reports it: "<app id>-<function id>". */
  id: text().primaryKey(),
  appId: text().notNull(),
  name: text().notNull(),
  /** Step URL the SDK registered: "<serve url>?fnId=...&stepId=step". */
  url: text().notNull(),
  /** The raw function config from the SDK, validated against what the engine supports. */
  config: jsonb().$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type EngineFunctionRow = typeof engineFunctions.$inferSelect;

export const RUN_STATUSES = ['queued', 'running', 'sleeping', 'waiting', 'completed', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One function run. A worker owns a run only while its lease (token + expiry) is valid. */
export const engineRuns = pgTable(
  'engine_runs',
  {
    id: text().primaryKey(),
    functionId: text().notNull(),
    /** The triggering event exactly as the SDK receives it ({ name, data, id, ts, ... }). */
    event: jsonb().$type<Record<string, unknown>>().notNull(),
    /**
     * A batched function's run (batchEvents): every event of its batch, oldest first (`event` is
     * the first of them), sent to the SDK as `events`. null for a run of one event.
     */
    events: jsonb().$type<Record<string, unknown>[]>(),
    status: text({ enum: RUN_STATUSES }).notNull().default('queued'),
    /** Attempt of the current step (or of the function body); reset when a step completes. */
    attempt: integer().notNull().default(0),
    maxAttempts: integer().notNull(),
    /** When the run may next be picked up (retry backoff, sleep end, wait timeout). */
    runAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    leaseToken: text(),
    leaseExpiresAt: timestamp({ withTimezone: true }),
    /** Concurrency key value and limit, copied from the function config at creation. */
    concurrencyKey: text(),
    concurrencyLimit: integer(),
    output: jsonb(),
    lastError: jsonb().$type<Record<string, unknown>>(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // the worker's claim query: due runs in order
    index('engine_runs_due_idx')
      .on(t.runAt)
      .where(sql`${t.status} in ('queued', 'sleeping', 'waiting')`),
    // the claim query also takes over runs whose lease expired (a worker died)
    index('engine_runs_lease_idx')
      .on(t.leaseExpiresAt)
      .where(sql`${t.status} = 'running'`),
    // the concurrency check counts running runs per function and key
    index('engine_runs_concurrency_idx')
      .on(t.functionId, t.concurrencyKey)
      .where(sql`${t.status} = 'running'`),
    index('engine_runs_function_idx').on(t.functionId, t.createdAt),
  ],
);
export type EngineRunRow = typeof engineRuns.$inferSelect;

/**
 * Events waiting for their batch (functions with batchEvents). A row is deleted by the statement
 * that puts it into a batch run (in that run's transaction), so an event lands in exactly one
 * batch, whichever engine forms it.
 */
export const engineBatchItems = pgTable(
  'engine_batch_items',
  {
    /** Arrival order: batches take their events oldest first. */
    seq: bigserial({ mode: 'number' }).primaryKey(),
    functionId: text().notNull(),
    /** The value of batchEvents.key for this event ('' without a key): one batch per value. */
    batchKey: text().notNull(),
    event: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Arrival + batchEvents.timeout: the batch this event opens (or joins) starts by then. */
    dueAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // forming a batch takes a function's (and key's) oldest events
    index('engine_batch_items_batch_idx').on(t.functionId, t.batchKey, t.seq),
    // the timeout scan looks for batches whose first event is due
    index('engine_batch_items_due_idx').on(t.dueAt),
  ],
);

/** Memoized step results. The first recorded result wins; a recorded step is never re-run. */
export const engineSteps = pgTable(
  'engine_steps',
  {
    runId: text().notNull(),
    /** The SDK's hashed step id. */
    stepId: text().notNull(),
    /** Completion order, sent to the SDK as ctx.stack. */
    seq: bigserial({ mode: 'number' }).notNull(),
    /** { type: 'data', data } or { type: 'error', error } as the SDK expects in `steps`. */
    result: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepId] })],
);
export type EngineStepRow = typeof engineSteps.$inferSelect;

/** Pending step.sleep / step.sleepUntil / step.waitForEvent of a run. */
export const engineWaits = pgTable(
  'engine_waits',
  {
    runId: text().notNull(),
    stepId: text().notNull(),
    kind: text({ enum: ['sleep', 'event'] }).notNull(),
    /** For kind 'event': the awaited event name and the optional `if` expression. */
    eventName: text(),
    expression: text(),
    /** Sleep end, or the wait-for-event timeout. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    resolvedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.stepId] }),
    // an incoming event looks up the open waits for its name
    index('engine_waits_open_event_idx')
      .on(t.eventName)
      .where(sql`${t.resolvedAt} is null and ${t.kind} = 'event'`),
  ],
);
export type EngineWaitRow = typeof engineWaits.$inferSelect;

/** Keys seen in the last 24 hours: event ids (dedupe) and function idempotency keys. */
export const engineKeys = pgTable(
  'engine_keys',
  {
    /** 'event' or 'fn:<function id>'. */
    scope: text().notNull(),
    key: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    // cleanup of expired keys
    index('engine_keys_expires_idx').on(t.expiresAt),
  ],
);

/** Cron triggers and when each fires next. */
export const engineCrons = pgTable(
  'engine_crons',
  {
    functionId: text().notNull(),
    cron: text().notNull(),
    nextRunAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.functionId, t.cron] }),
    // the scheduler picks due crons
    index('engine_crons_next_idx').on(t.nextRunAt),
  ],
);

/** Runs that exhausted their retries (or failed for good); replayable by an operator. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: text().primaryKey(),
    runId: text().notNull(),
    functionId: text().notNull(),
    eventName: text().notNull(),
    /** The triggering event, so a replay starts a fresh run with the same input. */
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    error: jsonb().$type<Record<string, unknown>>().notNull(),
    merchantId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    replayedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // one dead letter per failed run, even if the failure is recorded twice
    uniqueIndex('dead_letters_run_idx').on(t.runId),
    // the operator's list, newest first, per merchant
    index('dead_letters_merchant_idx').on(t.merchantId, t.createdAt),
  ],
);
export type DeadLetterRow = typeof deadLetters.$inferSelect;
