import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { INNGEST_SERVE_ROUTE } from '@/lib/env/server-role';
import { awaitPspAnswer, findStrandedAttempts } from '@/lib/payments/stranded';
import { freshCardNumber } from '@/scripts/bench/e2e-load';
import { freePort } from '@/scripts/lib/ports';
import { startFetchServer, type FetchServer } from './fetch-server';
import { waitUntil } from './wait';

/**
 * Two of everything: app processes and engine processes on one Postgres (DATABASE_URL), behind a
 * round-robin balancer each, as a load balancer and a service address would be in production.
 * Used by tests/integration/redundancy.test.ts (short) and `npm run bench -- redundancy` (long):
 * load, SIGKILL one app and one engine, then check what every payment became.
 */

const root = path.resolve(import.meta.dirname, '../..');

export interface Cluster {
  appUrl: string;
  publishableKey: string;
  apps: ChildProcess[];
  engines: ChildProcess[];
  /** Kills every process and closes the balancers. */
  stop(): Promise<void>;
}

/** Round-robin over live upstreams; a refused connection (a dead instance) tries the next one. */
async function startBalancer(upstreams: string[]): Promise<FetchServer> {
  let next = 0;
  return startFetchServer(async (req) => {
    const { pathname, search } = new URL(req.url);
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
    const headers = new Headers(req.headers);
    headers.delete('host');
    // each upstream at most once per request, from this request's turn (concurrent requests
    // share the counter, so `next++` per try could send one request to the same dead one twice)
    const first = next++;
    for (let tried = 0; tried < upstreams.length; tried++) {
      const upstream = upstreams[(first + tried) % upstreams.length]!;
      try {
        const res = await fetch(`${upstream}${pathname}${search}`, { method: req.method, headers, body, redirect: 'manual' });
        return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      } catch (err) {
        // refused before the request reached the instance: safe to send to another one
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if (code !== 'ECONNREFUSED') return new Response('upstream failed', { status: 502 });
      }
    }
    return new Response('no upstream', { status: 503 });
  });
}

function spawnChild(
  children: ChildProcess[],
  args: string[],
  env: Record<string, string>,
  waitFor: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = waitFor.exec(out);
      if (match) resolve({ child, line: match[0] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}):\n${out.slice(-2000)}`)));
  });
}

/**
 * Starts `apps` app processes (tests/helpers/app-process-child.ts: the payment routes, the serve
 * route and the outbox relay) and `engines` engine processes (scripts/engine.ts).
 */
export async function startCluster(options: { apps: number; engines: number; strandedAfterMs: number }): Promise<Cluster> {
  const children: ChildProcess[] = [];
  const servers: FetchServer[] = [];
  const stop = async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const server of servers) await server.close().catch(() => undefined);
  };
  try {
    const signingKey = `signkey-test-${randomBytes(32).toString('hex')}`;
    const eventKey = randomBytes(16).toString('hex');
    const publishableKey = `pk_test_${randomBytes(8).toString('hex')}`;
    // the balancers' addresses are needed before the instances exist: their upstream lists fill in
    const appUpstreams: string[] = [];
    const engineUpstreams: string[] = [];
    const appLb = await startBalancer(appUpstreams);
    servers.push(appLb);
    const engineLb = await startBalancer(engineUpstreams);
    servers.push(engineLb);
    const shared = {
      APP_URL: appLb.url,
      SANDBOX_CARD_URL: appLb.url,
      SANDBOX_PUBLISHABLE_KEY: publishableKey,
      INNGEST_BASE_URL: engineLb.url,
      INNGEST_SIGNING_KEY: signingKey,
      INNGEST_EVENT_KEY: eventKey,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      API_RATE_LIMIT_WRITES_PER_SECOND: '100000',
      API_RATE_LIMIT_READS_PER_SECOND: '100000',
      RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY: '1000000',
      OUTBOX_RELAY: 'on',
      // a confirm cut off by the kill leaves its attempt open: it is resolved by querying the PSP
      PAYMENT_CALLBACK_TIMEOUT_MS: '1500',
      PAYMENT_QUERY_BACKOFF_MS: '500',
      // a confirm killed between recording its attempt and the PSP's answer leaves the attempt
      // pending with no event: the stranded-attempt sweep hands it to resolution after this long
      STRANDED_ATTEMPT_AFTER_MS: String(options.strandedAfterMs),
      LOG_LEVEL: 'error',
    };
    const apps = await Promise.all(
      Array.from({ length: options.apps }, () =>
        spawnChild(children, ['tests/helpers/app-process-child.ts'], shared, /listening (http:\/\/[\d.:]+)/),
      ),
    );
    for (const app of apps) appUpstreams.push(app.line.replace('listening ', ''));
    const engines = await Promise.all(
      Array.from({ length: options.engines }, async () => {
        const port = await freePort();
        engineUpstreams.push(`http://127.0.0.1:${port}`);
        return spawnChild(
          children,
          ['scripts/engine.ts'],
          {
            ...shared,
            ENGINE_PORT: String(port),
            ENGINE_POLL_MS: '50',
            ENGINE_LEASE_MS: '2000',
            ENGINE_CONCURRENCY: '8',
            INNGEST_SERVE_URL: `${appLb.url}${INNGEST_SERVE_ROUTE}`,
            LOG_LEVEL: 'info', // its "synced" line says it is ready
          },
          /synced \d+ function/,
        );
      }),
    );
    return {
      appUrl: appLb.url,
      publishableKey,
      apps: apps.map((a) => a.child),
      engines: engines.map((e) => e.child),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function postJson(url: string, key: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

export interface PaymentOutcome {
  /** null: the create itself failed (an instance died under it) */
  id: string | null;
  /** the confirm's HTTP status; null when the connection broke */
  confirmStatus: number | null;
  /** the payment was created after the kill */
  afterKill: boolean;
  /** when the confirm answered (ms since the load started) */
  atMs: number;
  /** how long the confirm took, ms (null without a confirm) */
  confirmMs: number | null;
  /** one of the first payments that load each instance's routes, before the timed load */
  warmup: boolean;
}

/**
 * Load: `loops` concurrent loops of tokenize + create + confirm with fresh cards for `durationMs`;
 * one app and one engine (the first of each) are SIGKILLed at `killAtMs`.
 */
export async function payUnderKill(
  cluster: Cluster,
  secretKey: string,
  merchantId: string,
  options: { loops: number; durationMs: number; killAtMs: number },
): Promise<{ outcomes: PaymentOutcome[]; errors: string[]; confirmErrors: string[] }> {
  const outcomes: PaymentOutcome[] = [];
  /** why a payment could not be started (tokenize or create refused, or no answer) */
  const errors: string[] = [];
  /** why a confirm got no answer */
  const confirmErrors: string[] = [];
  let killed = false;
  let warmup = true;
  let started = performance.now();
  const payOnce = async () => {
    const tok = await fetch(`${cluster.appUrl}/api/sandbox/card/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.publishableKey}`, 'sandbox-account': merchantId, 'content-type': 'application/json' },
      body: JSON.stringify({ number: freshCardNumber(), exp_month: 12, exp_year: new Date().getFullYear() + 2, cvc: '123' }),
    })
      .then(async (r) => ({ status: r.status, ...((await r.json().catch(() => ({}))) as { id?: string; error?: unknown }) }))
      .catch((err: Error) => ({ status: null, id: undefined, error: err.message }));
    if (!tok.id) {
      errors.push(`tokenize: HTTP ${tok.status} ${JSON.stringify(tok.error ?? null).slice(0, 300)}`);
      return;
    }
    const created = await postJson(`${cluster.appUrl}/api/v1/payment_intents`, secretKey, {
      amount: 1000 + randomInt(5000),
      currency: 'usd',
    }).catch(() => null);
    const id = (created?.body.id as string | undefined) ?? null;
    const afterKill = killed;
    if (!id) {
      errors.push(`create: ${created ? `HTTP ${created.status} ${JSON.stringify(created.body).slice(0, 300)}` : 'no answer'}`);
      outcomes.push({ id: null, confirmStatus: null, afterKill, atMs: performance.now() - started, confirmMs: null, warmup });
      return;
    }
    const confirmStarted = performance.now();
    const confirmed = await postJson(`${cluster.appUrl}/api/v1/payment_intents/${id}/confirm`, secretKey, {
      payment_method: tok.id,
    }).catch((err: Error & { cause?: { code?: string; message?: string } }) => {
      confirmErrors.push(`${err.message}${err.cause ? ` (${err.cause.code ?? ''} ${err.cause.message ?? ''})` : ''}`);
      return null;
    });
    const now = performance.now();
    outcomes.push({ id, confirmStatus: confirmed?.status ?? null, afterKill, atMs: now - started, confirmMs: now - confirmStarted, warmup });
  };
  // warm up both instances (first requests load the route modules)
  await Promise.all([payOnce(), payOnce()]);
  warmup = false;
  started = performance.now();
  const deadline = Date.now() + options.durationMs;
  const killer = setTimeout(() => {
    cluster.apps[0]!.kill('SIGKILL');
    cluster.engines[0]!.kill('SIGKILL');
    killed = true;
  }, options.killAtMs);
  await Promise.all(
    Array.from({ length: options.loops }, async () => {
      while (Date.now() < deadline) await payOnce();
    }),
  );
  clearTimeout(killer);
  return { outcomes, errors, confirmErrors };
}

export interface SettledPayments {
  /** payments whose attempt the killed app left open (pending, no event), resolved by the sweep */
  cutOff: string[];
  succeeded: string[];
  /** succeeded payments without exactly one capture posting or one webhook delivery */
  notOnce: { id: string; postings: number; deliveries: number }[];
  /** succeeded events the receiver got, counted once each */
  webhooksReceived: number;
  /** from the end of the load until every payment, posting and delivery was settled */
  settleMs: number;
}

/**
 * Waits until every payment of `ids` has ended (none processing, requires_action or with an open
 * attempt), running the stranded-attempt sweep's two steps once the attempts are old enough (as
 * its minute cron would; a concurrent cron run changes nothing: awaitPspAnswer acts only on a
 * still-stranded attempt, under the intent's row lock), then until each succeeded payment is posted
 * and delivered, and reports how many were posted and delivered once.
 */
export async function settlePayments(
  ids: string[],
  receivedEventIds: readonly string[],
  strandedAfterMs: number,
): Promise<SettledPayments> {
  const db = getDb();
  const started = performance.now();
  const unsettled = async () =>
    ((await db.execute(
      sql`select count(*)::int as n from payment_intents where id in ${ids} and status in ('processing', 'requires_action')`,
    )) as unknown as { n: number }[])[0]!.n;
  await waitUntil(async () => (await unsettled()) === 0, 60_000).catch(async (err: Error) => {
    const rows = await db.execute(sql`
      select p.id, p.status, a.status as attempt, a.created_at,
             (select string_agg(r.function_id || ':' || r.status, ',') from engine_runs r
               where r.event->'data'->>'paymentIntentId' = p.id or r.event->'data'->>'attemptId' = a.id) as runs
        from payment_intents p left join payment_attempts a on a.id = p.latest_attempt_id
       where p.id in ${ids} and p.status in ('processing', 'requires_action')`);
    throw new Error(`${err.message}: payments not settled: ${JSON.stringify(rows)}`);
  });
  const open = sql`select pa.payment_intent_id as id from payment_attempts pa
    where pa.payment_intent_id in ${ids} and pa.status in ('pending', 'requires_action')`;
  const cutOff = ((await db.execute(open)) as unknown as { id: string }[]).map((r) => r.id);
  if (cutOff.length) {
    await new Promise((resolve) => setTimeout(resolve, strandedAfterMs + 500));
    for (const attempt of await findStrandedAttempts(strandedAfterMs)) await awaitPspAnswer(attempt);
  }
  await waitUntil(async () => ((await db.execute(open)) as unknown as unknown[]).length === 0, 60_000);
  await waitUntil(async () => (await unsettled()) === 0, 30_000);
  const succeeded = (
    (await db.execute(sql`select id from payment_intents where id in ${ids} and status = 'succeeded'`)) as unknown as { id: string }[]
  ).map((r) => r.id);
  if (succeeded.length) {
    await waitUntil(async () => {
      const [row] = (await db.execute(sql`
        select (select count(*)::int from journal_transactions where kind = 'capture' and payment_intent_id in ${succeeded}) as posted,
               (select count(*)::int from webhook_deliveries d join outbox_events e on e.id = d.event_id
                 where e.aggregate_id in ${succeeded} and e.type = 'payment_intent.succeeded' and d.status = 'succeeded') as delivered`)) as unknown as {
        posted: number;
        delivered: number;
      }[];
      return row!.posted >= succeeded.length && row!.delivered >= succeeded.length;
    }, 120_000);
  }
  const perPayment = succeeded.length
    ? ((await db.execute(sql`
        select p.id,
               (select count(*)::int from journal_transactions j where j.kind = 'capture' and j.payment_intent_id = p.id) as postings,
               (select count(*)::int from webhook_deliveries d join outbox_events e on e.id = d.event_id
                 where e.aggregate_id = p.id and e.type = 'payment_intent.succeeded') as deliveries
          from payment_intents p where p.id in ${succeeded}`)) as unknown as { id: string; postings: number; deliveries: number }[])
    : [];
  const succeededEvents = succeeded.length
    ? new Set(
        ((await db.execute(sql`select id from outbox_events where type = 'payment_intent.succeeded' and aggregate_id in ${succeeded}`)) as unknown as {
          id: string;
        }[]).map((r) => r.id),
      )
    : new Set<string>();
  return {
    cutOff,
    succeeded,
    notOnce: perPayment.filter((p) => p.postings !== 1 || p.deliveries !== 1),
    webhooksReceived: new Set(receivedEventIds.filter((id) => succeededEvents.has(id))).size,
    settleMs: performance.now() - started,
  };
}
