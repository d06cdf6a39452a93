import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEMO_CREDENTIALS_FILE } from '@/db/seed';
import { FUNCTIONS_ROLE, SERVER_ROLE_VAR } from '@/lib/env/server-role';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { freePort } from '../lib/ports';
import type { LoadOutput, LoadParams } from './e2e-load';
import { benchEnv } from './env';
import { openSqlObserver, printTopStatements, type SqlObserver } from './sql-counters';
import { formatMs, percentileUs } from './stats';
import type { Benchmark, BenchReport } from './types';

/**
 * `npm run bench -- e2e`: the whole system as a merchant sees it. Starts its own app with
 * `npm start` (production build in .next-bench, its own ports and data dir, the bench database),
 * drives it from a separate load process, and measures what the merchant gets: payments a second,
 * latency, webhook lag (succeeded event committed -> first webhook received) and ledger lag (event committed
 * -> capture posted), plus CPU per payment by process and SQL statements per payment.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const PUBLISHABLE_KEY = 'pk_test_bench_e2e_local';
/** The functions server's entry in /proc/<pid>/environ (scripts/lib/processes.ts sets it). */
const FUNCTIONS_ROLE_ENTRY = `${SERVER_ROLE_VAR}=${FUNCTIONS_ROLE}`;
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

interface RunningApp {
  url: string;
  child: ChildProcess;
  dataDir: string;
  stop(): Promise<void>;
}

async function startApp(databaseUrl: string, log: (m: string) => void): Promise<RunningApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-bench-e2e-'));
  const port = await freePort();
  const enginePort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(TSX, ['scripts/start.ts'], {
    cwd: REPO_ROOT,
    detached: true, // its own process group: stopped as a whole
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PAYKIT_DATA_DIR: dataDir,
      PORT: String(port),
      ENGINE_PORT: String(enginePort),
      APP_URL: url,
      NEXT_DIST_DIR: '.next-bench',
      SANDBOX_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
      // a load test from one key and one address: the per-key and per-IP limits would be the result
      API_RATE_LIMIT_READS_PER_SECOND: '100000',
      API_RATE_LIMIT_WRITES_PER_SECOND: '100000',
      PAY_RATE_LIMIT_PER_MINUTE: '1000000',
      RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY: '1000000',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      LOG_LEVEL: 'warn',
    },
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      if (output.includes('paykit is running')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was up:\n${output.slice(-3000)}`)));
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`the app was not up within 20 minutes:\n${output.slice(-3000)}`)), 20 * 60_000).unref(),
  );
  log(`starting the app (npm start, production build in .next-bench) on ${url}`);
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 20_000))]);
      if (!killed) process.kill(-child.pid!, 'SIGKILL');
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { url, child, dataDir, stop };
}

// ------------------------------------------------------------------ CPU per process (Linux /proc)

const CLOCK_TICKS_PER_S = 100;

function processTable(): Map<number, { ppid: number; ticks: number; cmd: string }> {
  const table = new Map<number, { ppid: number; ticks: number; cmd: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      // the functions server is serve.ts too: its environment tells it apart (scripts/lib/processes.ts)
      if (/scripts\/serve\.ts/.test(cmd) && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(FUNCTIONS_ROLE_ENTRY)) {
        cmd = `[functions] ${cmd}`;
      }
      // utime + stime + the CPU of children that exited and were waited for
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      table.set(Number(entry), { ppid: Number(fields[1]), ticks, cmd });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

function roleOf(cmd: string): string {
  if (/postgres/.test(cmd) && !/tsx|node/.test(cmd)) return 'postgres';
  if (/scripts\/engine\.ts/.test(cmd)) return 'engine';
  if (cmd.startsWith('[functions]')) return 'functions';
  if (/next|scripts\/serve\.ts/.test(cmd)) return 'app';
  return 'other';
}

/** CPU seconds so far of each role among the descendants of `roots` (app, engine, postgres). */
function cpuByRole(roots: number[]): Map<string, number> {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const result = new Map<string, number>();
  const seen = new Set<number>();
  const visit = (pid: number, inherited: string | null) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    const p = table.get(pid);
    if (!p) return;
    const own = roleOf(p.cmd);
    const role = own === 'other' ? (inherited ?? 'other') : own;
    result.set(role, (result.get(role) ?? 0) + p.ticks / CLOCK_TICKS_PER_S);
    for (const c of children.get(pid) ?? []) visit(c, role);
  };
  for (const root of roots) visit(root, null);
  return result;
}

function postgresRoots(): number[] {
  const table = processTable();
  // postmasters of this machine whose parent is this bench process (the embedded Postgres)
  return [...table.entries()].filter(([, p]) => p.ppid === process.pid && /postgres/.test(p.cmd)).map(([pid]) => pid);
}

// ------------------------------------------------------------------ the merchant's side

interface Receiver {
  server: FetchServer;
  /** payment intent id -> epoch ms of its first payment_intent.succeeded webhook */
  firstSeen: Map<string, number>;
}

async function startReceiver(): Promise<Receiver> {
  const firstSeen = new Map<string, number>();
  const server = await startFetchServer(async (req) => {
    const now = Date.now();
    const event = (await req.json()) as { type?: string; data?: { object?: { id?: string } } };
    const id = event.data?.object?.id;
    if (event.type === 'payment_intent.succeeded' && id && !firstSeen.has(id)) firstSeen.set(id, now);
    return new Response('ok');
  });
  return { server, firstSeen };
}

function runLoadProcess(params: LoadParams): Promise<LoadOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [path.join(REPO_ROOT, 'scripts/bench/e2e-load.ts'), JSON.stringify(params)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadOutput);
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

interface Scenario {
  name: string;
  scenario: LoadParams['scenario'];
  concurrency: number;
  durationMs: number;
  ratePerS: number;
}

interface ScenarioResult {
  scenario: Scenario;
  load: LoadOutput;
  webhookLagMs: number[];
  ledgerLagMs: number[];
  missingWebhooks: number;
  cpuS: Map<string, number>;
  statements: number | null;
  roundTrips: number | null;
  transactions: number;
}

async function waitForWebhooksAndPostings(observer: SqlObserver, receiver: Receiver, ids: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ids.every((id) => receiver.firstSeen.has(id))) {
      const [row] = await observer.query<{ n: string }>(
        `select count(*) as n from journal_transactions where kind = 'capture' and payment_intent_id = any($1)`,
        [ids],
      );
      if (Number(row?.n) >= ids.length) return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runScenario(
  app: RunningApp,
  creds: { secretKey: string; merchantId: string },
  observer: SqlObserver,
  receiver: Receiver,
  scenario: Scenario,
): Promise<ScenarioResult> {
  await observer.reset();
  const roots = [app.child.pid!, ...postgresRoots()];
  const cpuBefore = cpuByRole(roots);
  const load = await runLoadProcess({
    appUrl: app.url,
    secretKey: creds.secretKey,
    merchantId: creds.merchantId,
    publishableKey: PUBLISHABLE_KEY,
    scenario: scenario.scenario,
    concurrency: scenario.concurrency,
    durationMs: scenario.durationMs,
    ratePerS: scenario.ratePerS,
    idempotencyKeys: benchEnv().BENCH_E2E_IDEMPOTENCY_KEYS === 'on',
  });
  const ids = load.confirmed.map((c) => c.id);
  // the payments' work is done when their webhooks arrived and their captures are posted
  if (ids.length) await waitForWebhooksAndPostings(observer, receiver, ids, 180_000);
  const counts = await observer.read();
  const cpuAfter = cpuByRole(roots);
  const unit = scenario.scenario === 'create+confirm' ? 'payment' : 'operation';
  const heading = `[bench] ${scenario.name} c${scenario.concurrency}: top statements per ${unit}`;
  await printTopStatements(observer, benchEnv().BENCH_SQL_TOP, load.operations, unit, heading);
  const cpuS = new Map([...cpuAfter].map(([role, s]) => [role, s - (cpuBefore.get(role) ?? 0)]));
  cpuS.set('load client', load.cpuUs / 1e6);
  // both lags from the event's commit, as the issue defines them: the payment_intent.succeeded
  // outbox row -> its first webhook at the receiver / its capture in the journal
  const succeeded = ids.length
    ? await observer.query<{ id: string; committed_ms: number; posted_ms: number | null }>(
        `select o.aggregate_id as id, extract(epoch from o.created_at) * 1000 as committed_ms,
                (select extract(epoch from j.created_at) * 1000 from journal_transactions j where j.event_id = o.id and j.kind = 'capture') as posted_ms
           from outbox_events o
          where o.type = 'payment_intent.succeeded' and o.aggregate_id = any($1)`,
        [ids],
      )
    : [];
  const webhookLagMs = succeeded.filter((e) => receiver.firstSeen.has(e.id)).map((e) => receiver.firstSeen.get(e.id)! - Number(e.committed_ms));
  const ledgerLagMs = succeeded.filter((e) => e.posted_ms !== null).map((e) => Number(e.posted_ms) - Number(e.committed_ms));
  return {
    scenario,
    load,
    webhookLagMs,
    ledgerLagMs,
    missingWebhooks: ids.filter((id) => !receiver.firstSeen.has(id)).length,
    cpuS,
    statements: counts.statements,
    roundTrips: counts.roundTrips,
    transactions: counts.transactions,
  };
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT }).toString().trim();
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

const lagCell = (ms: number[]) => (ms.length ? `${percentileUs(ms, 50).toFixed(0)} / ${percentileUs(ms, 99).toFixed(0)}` : '-');

export const e2eBenchmark: Benchmark = {
  name: 'e2e',
  description: 'the app as a merchant sees it: npm start (production build), create and create+confirm from a separate load process',
  async run({ databaseUrl, log }): Promise<BenchReport> {
    const { BENCH_E2E_DURATION_MS: durationMs, BENCH_E2E_SUSTAINED_MS: sustainedMs, BENCH_E2E_SUSTAINED_RATE: sustainedRate } = benchEnv();
    const scenarios: Scenario[] = [
      // the baseline: what one API request costs before it does anything (Next's pipeline, the proxy, our error shaping)
      { name: 'baseline: unknown route (404, no DB)', scenario: 'floor', concurrency: 10, durationMs, ratePerS: 0 },
      { name: 'create alone', scenario: 'create', concurrency: 10, durationMs, ratePerS: 0 },
      { name: 'create + confirm', scenario: 'create+confirm', concurrency: 10, durationMs, ratePerS: 0 },
      { name: 'create + confirm', scenario: 'create+confirm', concurrency: 50, durationMs, ratePerS: 0 },
      { name: `sustained ${sustainedRate}/s`, scenario: 'create+confirm', concurrency: 50, durationMs: sustainedMs, ratePerS: sustainedRate },
    ];
    const app = await startApp(databaseUrl, log);
    const observer = await openSqlObserver(databaseUrl);
    const receiver = await startReceiver();
    const results: ScenarioResult[] = [];
    try {
      const file = JSON.parse(await fs.readFile(path.join(app.dataDir, DEMO_CREDENTIALS_FILE), 'utf8')) as {
        secret_key: string;
        merchant_id: string;
      };
      const creds = { secretKey: file.secret_key, merchantId: file.merchant_id };
      const res = await fetch(`${app.url}/api/v1/webhook_endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${creds.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiver.server.url}/hooks`, enabled_events: ['payment_intent.succeeded'] }),
      });
      if (!res.ok) throw new Error(`creating the webhook endpoint failed: HTTP ${res.status} ${await res.text()}`);
      for (const scenario of scenarios) {
        log(`${scenario.name}, concurrency ${scenario.concurrency}, ${scenario.durationMs / 1000} s`);
        results.push(await runScenario(app, creds, observer, receiver, scenario));
      }
    } finally {
      await receiver.server.close();
      await observer.close();
      await app.stop();
    }
    const revision = gitRevision();
    const rows = results.map((r) => {
      const payments = Math.max(r.load.operations, 1);
      const cpu = ['app', 'functions', 'engine', 'postgres', 'load client']
        .filter((role) => role !== 'functions' || r.cpuS.has(role))
        .map((role) => `${role} ${((1000 * (r.cpuS.get(role) ?? 0)) / payments).toFixed(1)}`)
        .join(', ');
      return [
        r.scenario.name,
        r.scenario.concurrency,
        (r.load.operations / (r.load.elapsedMs / 1000)).toFixed(1),
        formatMs(percentileUs(r.load.latenciesUs, 50)),
        formatMs(percentileUs(r.load.latenciesUs, 99)),
        r.load.errors,
        r.scenario.scenario === 'create+confirm' ? lagCell(r.webhookLagMs) : '-',
        r.scenario.scenario === 'create+confirm' ? lagCell(r.ledgerLagMs) : '-',
        cpu,
        r.statements === null ? 'n/a' : `${(r.statements / payments).toFixed(0)} (${(r.roundTrips! / payments).toFixed(0)})`,
        (r.transactions / payments).toFixed(0),
      ];
    });
    const errors = results.flatMap((r) => (r.load.firstError ? [`${r.scenario.name} c=${r.scenario.concurrency}: ${r.load.firstError}`] : []));
    const missing = results.reduce((n, r) => n + r.missingWebhooks, 0);
    return {
      // the Node.js version moves these figures by a third (README, Production topology)
      title: `End to end (npm start, production build), revision ${revision}, Node.js ${process.version}`,
      columns: [
        'scenario',
        'concurrency',
        'ops/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'webhook lag p50 / p99 ms',
        'ledger lag p50 / p99 ms',
        'CPU ms per op',
        'SQL statements (round trips) / op',
        'transactions / op',
      ],
      rows,
      notes: [
        `Machine: ${os.cpus().length} CPU(s), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end (a shared machine makes timings noisy; counts are not).`,
        'An op is a payment (create + confirm), a create, or for the baseline one request; the baseline is the floor of any API request here: Next.js, the proxy, our error shaping, no database.',
        'Each confirm uses a fresh card tokenized at the sandbox network (not timed); webhook lag is the succeeded event committed -> its first webhook received, ledger lag committed -> capture posted.',
        benchEnv().BENCH_E2E_IDEMPOTENCY_KEYS === 'on'
          ? 'Creates and confirms send an Idempotency-Key each and ask for no compression, as the official Stripe SDK does (BENCH_E2E_IDEMPOTENCY_KEYS=off sends none).'
          : 'Creates and confirms send no Idempotency-Key (BENCH_E2E_IDEMPOTENCY_KEYS=off; the official Stripe SDK sends one) and ask for no compression, as the SDK does.',
        'Statements count what runs inside a statement too (foreign-key checks, trigger queries); round trips only what clients sent.',
        'CPU and statements include draining the background work (webhooks, postings, receipts) of the scenario\'s payments.',
        missing ? `${missing} payment(s) got no webhook within 3 minutes.` : 'Every confirmed payment got its webhook and its posting.',
        ...errors.map((e) => `first error: ${e}`),
      ],
      ok: missing === 0 && results.every((r) => r.load.errors === 0),
    };
  },
};
