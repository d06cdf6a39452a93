import { randomBytes } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { Inngest } from 'inngest';
import { serve } from 'inngest/edge';
import { closeDb, getDb } from '@/db/client';
import { defineFunctions } from '@/inngest';
import { CHECKPOINTING } from '@/inngest/client';
import { createEngine } from '@/inngest/engine';
import { outboxEvents } from '@/db/schema';
import { startOutboxRelay, toRelayedEvent } from '@/lib/events/relay';
import { snapshotProcessEnv } from '@/lib/env/process-env';
import { INNGEST_SERVE_ROUTE } from '@/lib/env/server-role';
import { ensureCapturePosted } from '@/lib/ledger';
import { sendReceiptForEvent } from '@/lib/receipts';
import { createMerchant } from '@/lib/merchants';
import { attemptDelivery, fanOutEvent } from '@/lib/webhooks/deliveries';
import { createWebhookEndpoint } from '@/lib/webhooks/endpoints';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { commitSucceededPayment } from '@/tests/helpers/succeeded-payment';
import { resetEnvCache } from '@/lib/env';
import { benchEnv } from './env';
import { openSqlObserver, printTopStatements, type SqlObserver } from './sql-counters';
import { formatMs, percentileUs } from './stats';
import type { Benchmark, BenchReport } from './types';

const { BENCH_ENGINE_BURST: BURST_EVENTS, BENCH_ENGINE_PACED: PACED_EVENTS, BENCH_ENGINE_RATE: PACED_RATE_PER_S } = benchEnv();

interface Receiver {
  server: FetchServer;
  /** event id -> time (performance.now()) of its first delivery attempt */
  firstSeen: Map<string, number>;
}

async function startReceiver(): Promise<Receiver> {
  const firstSeen = new Map<string, number>();
  const server = await startFetchServer(async (req) => {
    const now = performance.now();
    const { id } = (await req.json()) as { id: string };
    if (!firstSeen.has(id)) firstSeen.set(id, now);
    return new Response('ok');
  });
  return { server, firstSeen };
}

/**
 * Commits one real payment success, as a confirm does: a processing intent with its pending
 * attempt, then the attempt and the intent move to succeeded through the state machine, which
 * writes the payment_intent.succeeded outbox event (amount_received, latest_attempt) in the same
 * transaction. Every consumer (webhooks, ledger-post-capture, send-receipt) finds what it needs,
 * so none of them fails and retries during the measurement.
 */
async function commitPaymentSucceeded(merchantId: string): Promise<{ id: string; outboxIds: string[]; committedAt: number }> {
  const { eventId, outboxIds } = await commitSucceededPayment(merchantId, {
    amount: 1000,
    customerEmail: 'bench-customer@example.test',
    idempotencyPrefix: 'bench',
  });
  return { id: eventId, outboxIds, committedAt: performance.now() };
}

function bufferedStepsLabel(): number {
  return benchEnv().BENCH_ENGINE_BUFFERED_STEPS ?? CHECKPOINTING.bufferedSteps;
}

/** null once every event's webhook arrived; else how many did not within the timeout. */
async function waitForAll(receiver: Receiver, ids: string[], timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ids.every((id) => receiver.firstSeen.has(id))) return null;
    await new Promise((r) => setTimeout(r, 20));
  }
  return `${ids.filter((id) => !receiver.firstSeen.has(id)).length}/${ids.length} webhooks never arrived`;
}

interface Pipeline {
  /** Makes committed outbox events reach the receiver. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The in-process baseline has to be told about each commit (its payment_intent.succeeded event
   * and every outbox row the commit wrote); the engine pipeline ignores this.
   */
  onCommitted(committed: { id: string; outboxIds: string[] }): void;
  /** No work held in memory (the engine's work is in the database, checked separately). */
  idle(): boolean;
  /** The engine's calls to the serve endpoint and the SDK's checkpoints to the engine, so far. */
  traffic?: { serveCalls: number; checkpoints: number };
}

/** The real path: relay -> embedded engine -> webhook-fan-out -> webhook-deliver -> HTTP. */
async function enginePipeline(databaseUrl: string): Promise<Pipeline> {
  // this process serves the functions and runs the engine: as scripts/serve.ts and scripts/engine.ts do
  snapshotProcessEnv();
  const signingKey = `signkey-bench-${randomBytes(32).toString('hex')}`;
  const eventKey = randomBytes(16).toString('hex');
  let handler: (r: Request) => Promise<Response> = async () => new Response('starting', { status: 503 });
  const traffic = { serveCalls: 0, checkpoints: 0 };
  const app = await startFetchServer((r) => {
    if (r.method === 'POST') traffic.serveCalls++;
    return handler(r);
  });
  const engine = createEngine({
    databaseUrl,
    serveUrl: `${app.url}${INNGEST_SERVE_ROUTE}`,
    signingKey,
    eventKey,
    pollMs: 50,
    maxConcurrentRuns: 32,
    http: { port: 0 },
    syncOnStart: false,
    checkpointing: benchEnv().BENCH_ENGINE_CHECKPOINTING === 'on',
  });
  await engine.start();
  const bufferedSteps = benchEnv().BENCH_ENGINE_BUFFERED_STEPS;
  const client = new Inngest({
    id: 'paykit',
    isDev: false,
    baseUrl: engine.url,
    eventKey,
    signingKey,
    checkpointing: bufferedSteps ? { ...CHECKPOINTING, bufferedSteps } : CHECKPOINTING,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input instanceof Request ? input.url : input).includes('/v1/checkpoint/')) traffic.checkpoints++;
      return fetch(input, init);
    },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
  handler = serve({ client, functions: defineFunctions(client) });
  await engine.sync();
  let relay: { stop(): Promise<void> } | undefined;
  return {
    async start() {
      relay = startOutboxRelay({ send: async (events) => void (await client.send(events)), pollMs: 50 });
    },
    async stop() {
      await relay?.stop();
      await engine.stop();
      await app.close();
    },
    onCommitted() {},
    idle: () => true,
    traffic,
  };
}

/**
 * Baseline: what every consumer of payment_intent.succeeded does (webhook fan-out and one delivery
 * attempt, the ledger posting, the receipt), called in-process right after commit, and the webhook
 * fan-out of the charge.succeeded written beside it; then every outbox row of the commit is
 * marked sent as the relay would, so nothing is handled twice. (Marking only the intent's row left
 * the charge's unsent, so waitForQuiet never saw the outbox drained: "delivered MISSING".)
 */
function inProcessPipeline(concurrency: number): Pipeline {
  const queue: { id: string; outboxIds: string[] }[] = [];
  let running = 0;
  const handle = async ({ id, outboxIds }: { id: string; outboxIds: string[] }) => {
    const db = getDb();
    const [row] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, id));
    const event = toRelayedEvent(row!);
    const data = event.data as { aggregateId: string; attemptId: string | null };
    for (const outboxId of outboxIds)
      for (const deliveryId of await fanOutEvent(outboxId)) await attemptDelivery(deliveryId);
    await ensureCapturePosted(db, id);
    await sendReceiptForEvent(db, {
      eventId: id,
      type: 'payment_intent.succeeded',
      aggregateId: data.aggregateId,
      attemptId: data.attemptId,
    });
    await db.update(outboxEvents).set({ sentAt: new Date() }).where(inArray(outboxEvents.id, outboxIds));
  };
  const pump = () => {
    while (running < concurrency && queue.length > 0) {
      const committed = queue.shift()!;
      running++;
      void handle(committed)
        .catch((err: unknown) => console.error('[bench] baseline handler failed', err))
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  return {
    async start() {},
    async stop() {},
    onCommitted(committed) {
      queue.push(committed);
      pump();
    },
    idle: () => running === 0 && queue.length === 0,
  };
}

interface Measured {
  eventsPerS: number;
  p50Us: number;
  p99Us: number;
  ledgerP50Ms: number;
  ledgerP99Ms: number;
  statementsPerEvent: number | null;
  roundTripsPerEvent: number | null;
  transactionsPerEvent: number;
  runsPerEvent: number;
  /** Serve calls and SDK checkpoints per event in the burst (engine pipeline only). */
  serveCallsPerEvent: number | null;
  checkpointsPerEvent: number | null;
  /** Runs that failed or had to retry (a broken bench event shows up here). */
  troubledRuns: number;
  /** null when every event reached the receiver and the pipeline drained; else what was missing. */
  missing: string | null;
}

/**
 * Waits until the pipeline has nothing left to do for these events: every outbox row sent, every
 * engine run they started finished (cron runs aside), each posted once. Without this the paced
 * phase would overlap the burst's tail (and any retries) and measure that instead.
 */
async function waitForQuiet(
  observer: SqlObserver,
  pipeline: Pipeline,
  eventIds: string[],
  timeoutMs: number,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let state = 'the pipeline never went idle';
  while (Date.now() < deadline) {
    if (pipeline.idle()) {
      const [row] = await observer.query<{ unsent: string; open: string; posted: string }>(
        `select (select count(*) from outbox_events where sent_at is null) as unsent,
                (select count(*) from engine_runs where status not in ('completed', 'failed')
                   and event->>'name' <> 'inngest/scheduled.timer') as open,
                (select count(*) from journal_transactions where kind = 'capture' and event_id = any($1)) as posted`,
        [eventIds],
      );
      if (Number(row!.unsent) === 0 && Number(row!.open) === 0 && Number(row!.posted) === eventIds.length) return null;
      state = `${row!.unsent} outbox rows unsent, ${row!.open} runs open, ${row!.posted}/${eventIds.length} posted`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return state;
}

async function measure(databaseUrl: string, merchantId: string, receiver: Receiver, pipeline: Pipeline): Promise<Measured> {
  const observer = await openSqlObserver(databaseUrl);
  await pipeline.start();
  try {
    // Throughput: a burst committed at once, timed until every first attempt arrived.
    await observer.reset();
    const trafficBefore = { ...(pipeline.traffic ?? { serveCalls: 0, checkpoints: 0 }) };
    const burstStart = performance.now();
    const burst: string[] = [];
    for (let i = 0; i < BURST_EVENTS; i++) {
      const committed = await commitPaymentSucceeded(merchantId);
      burst.push(committed.id);
      pipeline.onCommitted(committed);
    }
    const burstMissing = await waitForAll(receiver, burst, 120_000);
    const burstLast = Math.max(...burst.map((id) => receiver.firstSeen.get(id) ?? performance.now()));
    const eventsPerS = BURST_EVENTS / ((burstLast - burstStart) / 1000);
    const burstQuiet = await waitForQuiet(observer, pipeline, burst, 120_000);
    const counts = await observer.read();
    await printTopStatements(observer, benchEnv().BENCH_SQL_TOP, BURST_EVENTS, 'event');
    const trafficAfter = pipeline.traffic ? { ...pipeline.traffic } : undefined;

    // Latency: events paced at a steady rate, each timed from its commit to its first attempt.
    const paced: { id: string; committedAt: number }[] = [];
    for (let i = 0; i < PACED_EVENTS; i++) {
      const e = await commitPaymentSucceeded(merchantId);
      paced.push(e);
      pipeline.onCommitted(e);
      await new Promise((r) => setTimeout(r, 1000 / PACED_RATE_PER_S));
    }
    const pacedIds = paced.map((p) => p.id);
    const pacedMissing = await waitForAll(receiver, pacedIds, 120_000);
    const pacedQuiet = await waitForQuiet(observer, pipeline, pacedIds, 120_000);
    const latencies = paced
      .filter((p) => receiver.firstSeen.has(p.id))
      .map((p) => (receiver.firstSeen.get(p.id)! - p.committedAt) * 1000);
    // ledger lag: the event's commit to its posting's commit, both stamped by Postgres
    const ledgerLags = (
      await observer.query<{ lag_us: number }>(
        `select extract(epoch from (j.created_at - o.created_at)) * 1000000 as lag_us
           from outbox_events o join journal_transactions j on j.event_id = o.id and j.kind = 'capture'
          where o.id = any($1)`,
        [pacedIds],
      )
    ).map((r) => Number(r.lag_us));
    const all = [...burst, ...pacedIds];
    const [runs] = await observer.query<{ runs: string; troubled: string }>(
      `select count(*) as runs, count(*) filter (where status = 'failed' or last_error is not null) as troubled
         from engine_runs where event->>'name' <> 'inngest/scheduled.timer'
           and (event->'data'->>'merchantId' = $1 or event->'data'->'event'->'data'->>'merchantId' = $1)`,
      [merchantId],
    );
    return {
      eventsPerS,
      p50Us: percentileUs(latencies, 50),
      p99Us: percentileUs(latencies, 99),
      ledgerP50Ms: percentileUs(ledgerLags, 50) / 1000,
      ledgerP99Ms: percentileUs(ledgerLags, 99) / 1000,
      statementsPerEvent: counts.statements === null ? null : counts.statements / BURST_EVENTS,
      roundTripsPerEvent: counts.roundTrips === null ? null : counts.roundTrips / BURST_EVENTS,
      transactionsPerEvent: counts.transactions / BURST_EVENTS,
      runsPerEvent: Number(runs!.runs) / all.length,
      serveCallsPerEvent: trafficAfter ? (trafficAfter.serveCalls - trafficBefore.serveCalls) / BURST_EVENTS : null,
      checkpointsPerEvent: trafficAfter ? (trafficAfter.checkpoints - trafficBefore.checkpoints) / BURST_EVENTS : null,
      troubledRuns: Number(runs!.troubled),
      missing:
        [
          burstMissing && `burst: ${burstMissing}`,
          burstQuiet && `burst: ${burstQuiet}`,
          pacedMissing && `paced: ${pacedMissing}`,
          pacedQuiet && `paced: ${pacedQuiet}`,
        ]
          .filter(Boolean)
          .join('; ') || null,
    };
  } finally {
    await pipeline.stop();
    await observer.close();
  }
}

async function setUpMerchant(receiverUrl: string): Promise<string> {
  const { merchant } = await createMerchant({
    name: 'Bench Merchant',
    email: `bench-${randomBytes(4).toString('hex')}@example.test`,
  });
  await getDb().transaction((tx) =>
    createWebhookEndpoint(tx, merchant.id, { url: `${receiverUrl}/hooks`, enabled_events: ['payment_intent.succeeded'] }),
  );
  return merchant.id;
}

export const engineBenchmark: Benchmark = {
  name: 'engine',
  description: `webhook pipeline: ${BURST_EVENTS} events in a burst (events/s), then ${PACED_EVENTS} at ${PACED_RATE_PER_S}/s (payment success -> first webhook attempt)`,
  async run({ databaseUrl, log }): Promise<BenchReport> {
    // restored at the end: the next benchmark opens its database on DATABASE_URL's server when set
    const saved = {
      DATABASE_URL: process.env.DATABASE_URL,
      OUTBOX_RELAY: process.env.OUTBOX_RELAY,
      WEBHOOK_ALLOW_PRIVATE_URLS: process.env.WEBHOOK_ALLOW_PRIVATE_URLS,
    };
    process.env.DATABASE_URL = databaseUrl;
    process.env.OUTBOX_RELAY = 'off';
    // The receiver is a local server: internal webhook URLs must be allowed (SSRF protection).
    process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
    resetEnvCache(); // lib/env reads the two settings above on next use
    const rows: Array<Array<string | number>> = [];
    const results: Measured[] = [];
    try {
      for (const [label, make] of [
        ['in-process handlers (baseline)', async () => inProcessPipeline(16)],
        ['outbox relay + embedded engine', () => enginePipeline(databaseUrl)],
      ] as const) {
        const receiver = await startReceiver();
        const merchantId = await setUpMerchant(receiver.server.url);
        log(`running ${label}`);
        const m = await measure(databaseUrl, merchantId, receiver, await make());
        await receiver.server.close();
        results.push(m);
        rows.push([
          label,
          m.eventsPerS.toFixed(0),
          `${(m.eventsPerS / results[0]!.eventsPerS).toFixed(2)}x`,
          formatMs(m.p50Us),
          formatMs(m.p99Us),
          `${m.ledgerP50Ms.toFixed(1)} / ${m.ledgerP99Ms.toFixed(1)}`,
          m.statementsPerEvent === null ? 'n/a' : `${m.statementsPerEvent.toFixed(1)} (${m.roundTripsPerEvent!.toFixed(1)})`,
          m.transactionsPerEvent.toFixed(1),
          m.runsPerEvent.toFixed(2),
          m.serveCallsPerEvent === null ? '-' : m.serveCallsPerEvent.toFixed(2),
          m.checkpointsPerEvent === null ? '-' : m.checkpointsPerEvent.toFixed(2),
          m.troubledRuns,
          m.missing === null ? 'all' : `MISSING (${m.missing})`,
        ]);
      }
    } finally {
      await closeDb();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      resetEnvCache();
    }
    const delivered = results.every((r) => r.missing === null);
    const clean = results.every((r) => r.troubledRuns === 0);
    const ratio = results.length === 2 ? results[1]!.eventsPerS / results[0]!.eventsPerS : 0;
    return {
      title: 'Background engine: payment success -> first webhook attempt, ledger posting, receipt',
      columns: [
        'pipeline',
        'events/s (burst)',
        'vs baseline',
        'webhook p50 ms',
        'webhook p99 ms',
        'ledger lag p50 / p99 ms',
        'SQL statements (round trips) / event',
        'transactions / event',
        'engine runs / event',
        'serve calls / event',
        'checkpoints / event',
        'failed or retried runs',
        'delivered',
      ],
      rows,
      notes: [
        'Both pipelines run the same handlers (webhook fan-out + delivery, ledger-post-capture, send-receipt) on real succeeded payments, against the same Postgres and a local HTTP receiver.',
        'The engine path adds the outbox relay, durable steps (signed HTTP calls to the serve route; with checkpointing several steps per call, each reported by a checkpoint) and the fan-out -> delivery event hop.',
        `Checkpointing: ${benchEnv().BENCH_ENGINE_CHECKPOINTING}${benchEnv().BENCH_ENGINE_CHECKPOINTING === 'on' ? `, ${bufferedStepsLabel()} step(s) per checkpoint` : ''} (BENCH_ENGINE_CHECKPOINTING, BENCH_ENGINE_BUFFERED_STEPS).`,
        'Latency and ledger lag from the paced phase, which starts once the burst is fully drained; statements and transactions from the burst (pg_stat_statements / pg_stat_database); statements count foreign-key checks and trigger queries too, round trips only what clients sent.',
        `Target: the engine at >= 50% of the baseline: ${(ratio * 100).toFixed(0)}% ${ratio >= 0.5 ? '(met)' : '(NOT met)'}.`,
        delivered
          ? 'Every event reached the receiver and was posted once.'
          : 'NOT every event reached the receiver or was posted.',
        clean
          ? 'No run failed or retried.'
          : 'Some runs failed or retried: the bench events are broken or a consumer is failing.',
      ],
      ok: delivered && clean,
    };
  },
};
