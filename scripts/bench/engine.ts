import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Inngest } from 'inngest';
import { serve } from 'inngest/edge';
import { closeDb, getDb } from '@/db/client';
import { defineFunctions } from '@/inngest';
import { createEngine } from '@/inngest/engine';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { startOutboxRelay } from '@/lib/events/relay';
import { createMerchant } from '@/lib/merchants';
import { attemptDelivery, fanOutEvent } from '@/lib/webhooks/deliveries';
import { createWebhookEndpoint } from '@/lib/webhooks/endpoints';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { resetEnvCache } from '@/lib/env';
import { benchEnv } from './env';
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

/** Commits one "payment succeeded" outbox event, as a confirm does; returns its id and commit time. */
async function commitPaymentSucceeded(merchantId: string, n: number): Promise<{ id: string; committedAt: number }> {
  const id = await getDb().transaction((tx) =>
    writeOutboxEvent(tx, {
      type: 'payment_intent.succeeded',
      merchantId,
      aggregateType: 'payment_intent',
      aggregateId: `pi_bench${String(n).padStart(20, '0')}`,
      data: { object: { id: `pi_bench${n}`, object: 'payment_intent', amount: 1000, currency: 'usd', status: 'succeeded' } },
    }),
  );
  return { id, committedAt: performance.now() };
}

async function waitForAll(receiver: Receiver, ids: string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ids.every((id) => receiver.firstSeen.has(id))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

interface Pipeline {
  /** Makes committed outbox events reach the receiver. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The in-process baseline has to be told about each event; the engine pipeline ignores this. */
  onCommitted(id: string): void;
}

/** The real path: relay -> embedded engine -> webhook-fan-out -> webhook-deliver -> HTTP. */
async function enginePipeline(databaseUrl: string): Promise<Pipeline> {
  const signingKey = `signkey-bench-${randomBytes(32).toString('hex')}`;
  const eventKey = randomBytes(16).toString('hex');
  let handler: (r: Request) => Promise<Response> = async () => new Response('starting', { status: 503 });
  const app = await startFetchServer((r) => handler(r));
  const engine = createEngine({
    databaseUrl,
    serveUrl: `${app.url}/api/inngest`,
    signingKey,
    eventKey,
    pollMs: 50,
    maxConcurrentRuns: 32,
    http: { port: 0 },
    syncOnStart: false,
  });
  await engine.start();
  const client = new Inngest({
    id: 'paykit',
    isDev: false,
    baseUrl: engine.url,
    eventKey,
    signingKey,
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
  };
}

/** Baseline: the same handlers (fan-out, one delivery attempt) called in-process, right after commit. */
function inProcessPipeline(concurrency: number): Pipeline {
  const queue: string[] = [];
  let running = 0;
  const pump = () => {
    while (running < concurrency && queue.length > 0) {
      const id = queue.shift()!;
      running++;
      void (async () => {
        try {
          for (const deliveryId of await fanOutEvent(id)) await attemptDelivery(deliveryId);
        } finally {
          running--;
          pump();
        }
      })();
    }
  };
  return {
    async start() {},
    async stop() {},
    onCommitted(id) {
      queue.push(id);
      pump();
    },
  };
}

interface Measured {
  eventsPerS: number;
  p50Us: number;
  p99Us: number;
  delivered: boolean;
}

async function measure(merchantId: string, receiver: Receiver, pipeline: Pipeline): Promise<Measured> {
  await pipeline.start();
  try {
    // Throughput: a burst committed at once, timed until every first attempt arrived.
    const burstStart = performance.now();
    const burst: string[] = [];
    for (let i = 0; i < BURST_EVENTS; i++) {
      const { id } = await commitPaymentSucceeded(merchantId, i);
      burst.push(id);
      pipeline.onCommitted(id);
    }
    const burstOk = await waitForAll(receiver, burst, 120_000);
    const burstLast = Math.max(...burst.map((id) => receiver.firstSeen.get(id) ?? performance.now()));
    const eventsPerS = BURST_EVENTS / ((burstLast - burstStart) / 1000);

    // Latency: events paced at a steady rate, each timed from its commit to its first attempt.
    const paced: { id: string; committedAt: number }[] = [];
    for (let i = 0; i < PACED_EVENTS; i++) {
      const e = await commitPaymentSucceeded(merchantId, BURST_EVENTS + i);
      paced.push(e);
      pipeline.onCommitted(e.id);
      await new Promise((r) => setTimeout(r, 1000 / PACED_RATE_PER_S));
    }
    const pacedOk = await waitForAll(
      receiver,
      paced.map((p) => p.id),
      120_000,
    );
    const latencies = paced
      .filter((p) => receiver.firstSeen.has(p.id))
      .map((p) => (receiver.firstSeen.get(p.id)! - p.committedAt) * 1000);
    return { eventsPerS, p50Us: percentileUs(latencies, 50), p99Us: percentileUs(latencies, 99), delivered: burstOk && pacedOk };
  } finally {
    await pipeline.stop();
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
        const m = await measure(merchantId, receiver, await make());
        await receiver.server.close();
        results.push(m);
        rows.push([
          label,
          m.eventsPerS.toFixed(0),
          formatMs(m.p50Us),
          formatMs(m.p99Us),
          `${(m.eventsPerS / results[0]!.eventsPerS).toFixed(2)}x`,
          m.delivered ? 'all' : 'MISSING',
        ]);
      }
      await getDb().execute(sql`select 1`);
    } finally {
      await closeDb();
    }
    const delivered = results.every((r) => r.delivered);
    return {
      title: 'Background engine: payment success -> first webhook attempt',
      columns: ['pipeline', 'events/s (burst)', 'p50 ms (paced)', 'p99 ms (paced)', 'throughput vs baseline', 'delivered'],
      rows,
      notes: [
        'Both pipelines run the same lib/webhooks handlers against the same Postgres and a local HTTP receiver.',
        'The engine path adds the outbox relay, durable steps (each a signed HTTP call to the serve route) and the fan-out -> delivery event hop.',
        delivered ? 'Every event reached the receiver.' : 'NOT every event reached the receiver.',
      ],
      ok: delivered,
    };
  },
};
