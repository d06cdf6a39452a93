/**
 * Test wiring only: the real SDK serve handler on a local port, a client in cloud mode pointed
 * at an in-process engine, and helpers to read engine state. Not imported by production code.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Inngest, type InngestFunction } from 'inngest';
import { serve } from 'inngest/edge';
import { getDb, type Db } from '@/db/client';
import type { EngineRunRow } from '@/db/schema';
import { defineRecordDeadLetter } from '@/inngest/functions/record-dead-letter';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { createEngine, type Engine, type EngineOptions } from '@/inngest/engine';
import { CHECKPOINTING } from '@/inngest/client';
import { INNGEST_SERVE_ROUTE } from '@/lib/env/server-role';

export interface Harness {
  db: Db;
  client: Inngest;
  engine: Engine;
  server: FetchServer;
  serveUrl: string;
  signingKey: string;
  eventKey: string;
  /** Calls the engine made to the serve endpoint, and the HTTP status of each checkpoint the SDK sent. */
  traffic: { serveCalls: number; checkpointStatuses: number[]; checkpointsUnreachable: boolean };
  /** Another engine on the same database and app (several engine processes). */
  addEngine(overrides?: Partial<EngineOptions>): Engine;
  /** Runs of one function, or of the functions under test (the dead-letter recorder's are left out). */
  runs(functionId?: string): Promise<EngineRunRow[]>;
  /** Polls `probe` without driving any engine (for engines running their own worker loop). */
  waitForState(probe: () => Promise<boolean>, timeoutMs?: number, _engine?: Engine): Promise<void>;
  /** Drains the engine until `probe` returns a value (for sleeps and timeouts that need time to pass). */
  waitFor<T>(probe: () => Promise<T | undefined | false | null>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

let appCounter = 0;

/** Engine tables are shared by the tests of one file; each harness starts from empty state. */
async function resetEngineTables(db: Db): Promise<void> {
  // DELETE, not TRUNCATE: tests run as the app role, which may write rows but not truncate tables.
  await db.execute(sql`
    with runs as (delete from engine_runs), steps as (delete from engine_steps), waits as (delete from engine_waits),
         keys as (delete from engine_keys), crons as (delete from engine_crons), fns as (delete from engine_functions),
         dead as (delete from dead_letters), batches as (delete from engine_batch_items)
    select 1`);
}

export async function startHarness(
  defineFunctions: (client: Inngest) => InngestFunction.Any[],
  overrides: Partial<EngineOptions> = {},
): Promise<Harness> {
  const db = getDb();
  await resetEngineTables(db);
  const signingKey = `signkey-test-${randomBytes(32).toString('hex')}`;
  const eventKey = randomBytes(16).toString('hex');
  let handler: (request: Request) => Promise<Response> = async () => new Response('not ready', { status: 503 });
  // checkpointsUnreachable: the SDK's checkpoints fail as if the engine's API were down
  const traffic = { serveCalls: 0, checkpointStatuses: [] as number[], checkpointsUnreachable: false };
  const server = await startFetchServer((request) => {
    if (request.method === 'POST') traffic.serveCalls++;
    return handler(request);
  });
  const serveUrl = `${server.url}${INNGEST_SERVE_ROUTE}`;
  const databaseUrl = process.env.DATABASE_URL!;
  const engines: Engine[] = [];
  const baseOptions: EngineOptions = {
    databaseUrl,
    serveUrl,
    signingKey,
    eventKey,
    pollMs: 50,
    retryBaseMs: 50,
    leaseMs: 5_000,
    syncOnStart: false,
    worker: false,
    log: (level, message) => {
      if (level === 'error') console.error(`[engine] ${message}`);
    },
    ...overrides,
  };
  const engine = createEngine({ ...baseOptions, http: { port: 0 } });
  engines.push(engine);
  await engine.start();

  const client = new Inngest({
    id: `paykit-test-${++appCounter}`,
    isDev: false,
    baseUrl: engine.url,
    eventKey,
    signingKey,
    logger: quietLogger,
    // the app's own setting (inngest/client.ts)
    checkpointing: CHECKPOINTING,
    // the SDK's calls to the engine's API, seen as they are (checkpoints counted by their answer)
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const isCheckpoint = String(input instanceof Request ? input.url : input).includes('/v1/checkpoint/');
      const response =
        isCheckpoint && traffic.checkpointsUnreachable
          ? new Response('engine API unavailable', { status: 503 })
          : await fetch(input, init);
      if (isCheckpoint) traffic.checkpointStatuses.push(response.status);
      return response;
    },
  });
  // The dead-letter recorder always runs beside the functions under test, as it does in the app:
  // dead letters come from the "inngest/function.failed" event the engine sends.
  const functions = defineFunctions(client);
  const recorder = defineRecordDeadLetter(client);
  if (!functions.some((fn) => fn.id() === recorder.id())) functions.push(recorder);
  handler = serve({ client, functions });
  await engine.sync();

  return {
    db,
    client,
    engine,
    server,
    serveUrl,
    signingKey,
    eventKey,
    traffic,
    addEngine(extra = {}) {
      const another = createEngine({ ...baseOptions, ...extra });
      engines.push(another);
      return another;
    },
    async runs(functionId) {
      const rows = await db.execute(
        functionId
          ? sql`select * from engine_runs where function_id = ${functionId} order by created_at`
          : sql`select * from engine_runs where function_id <> ${`${client.id}-record-dead-letter`} order by created_at`,
      );
      return (rows as unknown as Record<string, unknown>[]).map(
        (row) =>
          ({
            id: row.id,
            functionId: row.function_id,
            event: row.event,
            status: row.status,
            attempt: row.attempt,
            maxAttempts: row.max_attempts,
            output: row.output,
            lastError: row.last_error,
          }) as EngineRunRow,
      );
    },
    async waitFor(probe, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await engine.drain();
        const value = await probe();
        if (value) return value as never;
        if (Date.now() > deadline) throw new Error('waitFor timed out');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async waitForState(probe, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await probe())) {
        if (Date.now() > deadline) throw new Error('waitForState timed out');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      for (const each of engines) await each.abandon().catch(() => undefined);
      await server.close();
    },
  };
}
