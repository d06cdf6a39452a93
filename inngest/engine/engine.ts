import { eq, and, sql as dsql } from 'drizzle-orm';
import type postgres from 'postgres';
import { createDb, type Db } from '@/db/client';
import { engineRuns } from '@/db/schema';
import { env } from '@/lib/env';
import { nextBatchDueInMs, startDueBatches } from './batches';
import { startDueCrons } from './crons';
import { executeRun, type ExecutorOptions } from './execute-run';
import type { CompiledFunction } from './function-config';
import { startEngineHttpServer, type EngineHttpServer } from './http-server';
import { ingestEvents, type IngestResult } from './ingest';
import {
  claimDueRuns,
  deleteExpiredKeys,
  extendLease,
  FunctionCache,
  LeaseLostError,
  WAKE_CHANNEL,
  type ClaimedRun,
  type Lease,
} from './store';
import { syncFromServeEndpoint } from './sync';

type LogLevel = 'info' | 'warn' | 'error';

export interface EngineOptions {
  /** Either a URL (the engine opens its own pool and LISTENs for wake-ups) or a Drizzle handle (poll only). */
  databaseUrl?: string;
  db?: Db;
  /** The app's Inngest serve endpoint, e.g. http://127.0.0.1:3000/api/inngest. */
  serveUrl: string;
  signingKey: string;
  eventKey: string;
  /** Poll interval of the worker loop; NOTIFY wakes it earlier. */
  pollMs?: number;
  /**
   * How often the loop looks for batches whose timeout ran out (batchEvents) when it cannot
   * LISTEN (a `db` handle): a batch starts within its timeout plus about this (or pollMs, if
   * longer). A listening engine looks when the next open batch is due, and again after any ingest
   * (its NOTIFY) once the shortest batch timeout has passed. Default 50 ms.
   */
  batchCheckMs?: number;
  /** How long a claimed run stays ours without a heartbeat; a dead engine's runs resume after it. */
  leaseMs?: number;
  /** Runs this engine executes at the same time. */
  maxConcurrentRuns?: number;
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  requestTimeoutMs?: number;
  unreachableDelayMs?: number;
  /** Serve the event API, /fn/register and /health on this port (0 = random). Omit for no server. */
  http?: { port: number; host?: string };
  /** Run the polling worker loop in start() (default true); tests may drive it with drain(). */
  worker?: boolean;
  /** Sync functions from serveUrl in start() (default true). */
  syncOnStart?: boolean;
  /** How long start() keeps retrying the sync while the app is not up yet. */
  syncTimeoutMs?: number;
  /**
   * Offer the SDK Inngest's async checkpointing (default true): it runs several steps per call and
   * POSTs each finished one to /v1/checkpoint/:runId/async on its INNGEST_BASE_URL, which must be
   * an engine on this database. false: one step per call, as before the protocol was served.
   */
  checkpointing?: boolean;
  /** Graceful stop waits this long for running calls before handing their runs back. */
  shutdownTimeoutMs?: number;
  log?: (level: LogLevel, message: string) => void;
}

export interface Engine {
  /** Origin of the engine's HTTP server once started (when `http` was given). */
  readonly url: string | undefined;
  start(): Promise<void>;
  /** Graceful: stops claiming, lets running calls finish (or hands their runs back), closes. */
  stop(): Promise<void>;
  /** Stops at once as if the process died: leases stay until they expire. Used to test crash safety. */
  abandon(): Promise<void>;
  send(events: unknown | unknown[]): Promise<IngestResult>;
  sync(): Promise<CompiledFunction[] | 'out-of-band'>;
  /**
   * Executes due work until none is left (future sleeps and waits are not waited for; open
   * batches are, when they are due within 2 s: a batch is work that already arrived).
   */
  drain(options?: { timeoutMs?: number }): Promise<void>;
}

const LEVELS: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function defaultLog(level: LogLevel, message: string): void {
  const threshold = LEVELS[env().LOG_LEVEL] ?? 1;
  if ((LEVELS[level] ?? 1) >= threshold) console[level](`[engine] ${message}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createEngine(options: EngineOptions): Engine {
  const log = options.log ?? defaultLog;
  let ownSql: postgres.Sql | undefined;
  let db: Db;
  if (options.db) db = options.db;
  else if (options.databaseUrl) {
    const created = createDb(options.databaseUrl, { max: (options.maxConcurrentRuns ?? 10) + 4 });
    db = created.db;
    ownSql = created.sql;
  } else throw new Error('createEngine needs databaseUrl or db');

  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 200;
  const maxConcurrentRuns = options.maxConcurrentRuns ?? 10;
  const functions = new FunctionCache(db);
  const executor: ExecutorOptions = {
    db,
    signingKey: options.signingKey,
    requestTimeoutMs: options.requestTimeoutMs ?? 5 * 60_000,
    retryBaseMs: options.retryBaseMs ?? 2_000,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 60 * 60_000,
    unreachableDelayMs: options.unreachableDelayMs ?? 1_000,
    maxCallsPerClaim: 50,
    functions,
    checkpointing: options.checkpointing ?? true,
    log,
  };

  const inFlight = new Map<Promise<void>, { lease: Lease; controller: AbortController }>();
  let stopped = false;
  let loopRunning = false;
  let loopDone: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let httpServer: EngineHttpServer | undefined;
  let lastKeyCleanup = 0;
  let lastCronCheck = 0;
  const batchCheckMs = options.batchCheckMs ?? 50;
  /** When the worker next looks for due batches (Date.now() ms). */
  let nextBatchScanAt = 0;
  /** The shortest batch timeout of the registered functions (null: none batches). */
  let shortestBatchTimeoutMs: number | null = null;

  function wake(): void {
    wakeUp?.();
  }

  async function runClaimed(claimed: ClaimedRun, controller: AbortController): Promise<void> {
    const { lease } = claimed;
    // the heartbeat keeps the lease while the app works; losing it aborts our call
    const heartbeat = setInterval(
      () => {
        extendLease(db, lease, leaseMs)
          .then((kept) => kept || controller.abort(new LeaseLostError(lease.runId)))
          .catch((err: unknown) => log('warn', `lease heartbeat failed: ${(err as Error).message}`));
      },
      Math.max(Math.floor(leaseMs / 3), 50),
    );
    try {
      await executeRun(executor, claimed, controller.signal);
    } catch (err) {
      if (err instanceof LeaseLostError || controller.signal.aborted)
        log('info', `run ${lease.runId}: ${(err as Error).message}`);
      else log('error', `run ${lease.runId} crashed in the engine: ${(err as Error).stack ?? String(err)}`);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Starts due crons and claims runs until this engine's slots are full. Returns runs claimed. */
  async function pump(checkCrons = false): Promise<number> {
    // cron ticks are whole minutes: checking more than once a second is wasted statements
    if (checkCrons || Date.now() - lastCronCheck >= 1_000) {
      lastCronCheck = Date.now();
      await startDueCrons(db).catch((err: unknown) => log('error', `cron scheduler failed: ${(err as Error).message}`));
    }
    // only engines that run batched functions pay for the scan, and only when a batch may be due
    const timeouts = (await functions.all()).flatMap((fn) => (fn.batch ? [fn.batch.timeoutMs] : []));
    shortestBatchTimeoutMs = timeouts.length ? Math.min(...timeouts) : null;
    if (shortestBatchTimeoutMs !== null && Date.now() >= nextBatchScanAt) {
      const scan = await startDueBatches(db, functions).catch((err: unknown) => {
        log('error', `batch scheduler failed: ${(err as Error).message}`);
        return null;
      });
      // listening, an ingest's NOTIFY brings the scan forward (below); a second is the safety net
      const waitMs = ownSql ? Math.min(scan?.nextDueInMs ?? 1_000, 1_000) : batchCheckMs;
      nextBatchScanAt = Date.now() + Math.max(waitMs, 5);
    }
    if (Date.now() - lastKeyCleanup > 10 * 60_000) {
      lastKeyCleanup = Date.now();
      await deleteExpiredKeys(db).catch(() => undefined);
    }
    let claimed = 0;
    while (!stopped && inFlight.size < maxConcurrentRuns) {
      // every free slot in one claim (one transaction), instead of one claim per run
      const batch = await claimDueRuns(db, leaseMs, maxConcurrentRuns - inFlight.size);
      if (batch.length === 0) break;
      for (const run of batch) {
        claimed++;
        const controller = new AbortController();
        const task: Promise<void> = runClaimed(run, controller).finally(() => {
          inFlight.delete(task);
          wake();
        });
        inFlight.set(task, { lease: run.lease, controller });
      }
      if (stopped) break;
    }
    return claimed;
  }

  async function loop(): Promise<void> {
    while (loopRunning) {
      try {
        await pump();
      } catch (err) {
        log('error', `worker loop: ${(err as Error).message}`);
      }
      await new Promise<void>((resolve) => {
        // a batch that falls due before the next poll is started on time
        const untilBatch = shortestBatchTimeoutMs === null ? pollMs : Math.max(nextBatchScanAt - Date.now(), 5);
        const timer = setTimeout(resolve, Math.min(pollMs, untilBatch));
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  }

  async function syncWithRetry(): Promise<void> {
    const deadline = Date.now() + (options.syncTimeoutMs ?? 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await syncFromServeEndpoint({ db, serveUrl: options.serveUrl, signingKey: options.signingKey });
        functions.invalidate();
        log(
          'info',
          result === 'out-of-band'
            ? 'app registered out of band'
            : `synced ${result.length} function(s) from ${options.serveUrl}`,
        );
        return;
      } catch (err) {
        // an unsupported function config is a programming error: retrying cannot fix it
        const status = (err as { status?: number }).status;
        if (status === 400 || Date.now() > deadline) throw err;
        log(attempt === 1 ? 'info' : 'warn', `waiting for the app at ${options.serveUrl}: ${(err as Error).message}`);
        await delay(Math.min(250 * attempt, 2_000));
      }
    }
  }

  /** Hands runs back at once (status queued, lease cleared) so another engine needs no lease expiry. */
  async function releaseLeases(leases: Lease[]): Promise<void> {
    for (const lease of leases) {
      await db
        .update(engineRuns)
        .set({ status: 'queued', runAt: dsql`now()`, leaseToken: null, leaseExpiresAt: null })
        .where(and(eq(engineRuns.id, lease.runId), eq(engineRuns.leaseToken, lease.token)))
        .catch(() => undefined);
    }
  }

  async function closeResources(): Promise<void> {
    await unlisten?.().catch(() => undefined);
    await httpServer?.close();
    await ownSql?.end({ timeout: 5 });
  }

  return {
    get url() {
      return httpServer?.url;
    },
    async start() {
      if (options.http) {
        httpServer = await startEngineHttpServer({
          db,
          eventKey: options.eventKey,
          signingKey: options.signingKey,
          port: options.http.port,
          host: options.http.host ?? '127.0.0.1',
          functions,
          log,
        });
      }
      if (options.syncOnStart ?? true) await syncWithRetry();
      if (ownSql) {
        const listener = await ownSql.listen(WAKE_CHANNEL, () => {
          // new events may have opened a batch: it is due one (shortest) timeout from now at the earliest
          if (shortestBatchTimeoutMs !== null) nextBatchScanAt = Math.min(nextBatchScanAt, Date.now() + shortestBatchTimeoutMs);
          wake();
        });
        unlisten = () => listener.unlisten();
      }
      if (options.worker ?? true) {
        loopRunning = true;
        loopDone = loop();
      }
    },
    async stop() {
      stopped = true;
      loopRunning = false;
      wake();
      await loopDone;
      const running = [...inFlight.keys()];
      const timeout = delay(options.shutdownTimeoutMs ?? 10_000).then(() => 'timeout' as const);
      if ((await Promise.race([Promise.all(running), timeout])) === 'timeout') {
        const leases = [...inFlight.values()].map(({ lease, controller }) => {
          controller.abort(new Error('engine shutting down'));
          return lease;
        });
        await releaseLeases(leases);
      }
      await closeResources();
    },
    async abandon() {
      stopped = true;
      loopRunning = false;
      for (const { controller } of inFlight.values()) controller.abort(new Error('engine abandoned'));
      wake();
      await loopDone;
      await Promise.allSettled([...inFlight.keys()]);
      await closeResources();
    },
    async send(events) {
      return ingestEvents(db, Array.isArray(events) ? events : [events], await functions.all());
    },
    async sync() {
      try {
        return await syncFromServeEndpoint({ db, serveUrl: options.serveUrl, signingKey: options.signingKey });
      } finally {
        functions.invalidate();
      }
    },
    async drain({ timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      // a drain sees every cron that is due when it starts
      for (let first = true; ; first = false) {
        if (Date.now() > deadline) throw new Error(`engine drain did not finish within ${timeoutMs}ms`);
        const claimed = await pump(first);
        if (claimed === 0 && inFlight.size === 0) {
          const dueInMs = (await functions.all()).some((fn) => fn.batch) ? await nextBatchDueInMs(db) : null;
          if (dueInMs === null || dueInMs > 2_000) return;
          await delay(Math.max(dueInMs, 5));
          nextBatchScanAt = 0; // due now: the next pump starts it
          continue;
        }
        if (inFlight.size) await Promise.race(inFlight.keys());
      }
    },
  };
}
