import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { awaitPspAnswer, findStrandedAttempts } from '@/lib/payments/stranded';
import { freshCardNumber } from '@/scripts/bench/e2e-load';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { createTestMerchant } from '@/tests/helpers/test-app';
import { waitUntil } from '@/tests/helpers/wait';

/**
 * Two of everything: two app processes and two engine processes on one Postgres, behind a
 * round-robin balancer each (as a load balancer and a service address would be in production).
 * Under load, one app and one engine are SIGKILLed; the survivors must carry on, and every
 * payment completes or fails cleanly, every webhook is recorded delivered once per endpoint and
 * every capture is posted once. The long version is a bench scenario (npm run bench -- e2e).
 */

const root = path.resolve(import.meta.dirname, '../..');
const STRANDED_AFTER_MS = 2_000;
const children: ChildProcess[] = [];
const servers: FetchServer[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const server of servers) await server.close().catch(() => undefined);
});

/** Round-robin over live upstreams; a refused connection (a dead instance) tries the next one. */
async function startBalancer(upstreams: string[]): Promise<FetchServer> {
  let next = 0;
  const server = await startFetchServer(async (req) => {
    const { pathname, search } = new URL(req.url);
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
    const headers = new Headers(req.headers);
    headers.delete('host');
    for (let tried = 0; tried < upstreams.length; tried++) {
      const upstream = upstreams[next++ % upstreams.length]!;
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
  servers.push(server);
  return server;
}

function spawnChild(
  args: string[],
  env: Record<string, string>,
  waitFor?: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  if (!waitFor) return Promise.resolve({ child, line: '' });
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

async function post(url: string, key: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

describe('two app instances and two engines on one Postgres', () => {
  it('survive SIGKILL of one app and one engine under load: no payment lost, webhooks and postings once', async () => {
    const signingKey = `signkey-test-${randomBytes(32).toString('hex')}`;
    const eventKey = randomBytes(16).toString('hex');
    const publishableKey = `pk_test_${randomBytes(8).toString('hex')}`;
    // the balancers' addresses are needed before the instances exist: their upstream lists fill in
    const appUpstreams: string[] = [];
    const engineUpstreams: string[] = [];
    const appLb = await startBalancer(appUpstreams);
    const engineLb = await startBalancer(engineUpstreams);
    const shared = {
      APP_URL: appLb.url,
      SANDBOX_CARD_URL: appLb.url,
      SANDBOX_PUBLISHABLE_KEY: publishableKey,
      INNGEST_BASE_URL: engineLb.url,
      INNGEST_SIGNING_KEY: signingKey,
      INNGEST_EVENT_KEY: eventKey,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      API_RATE_LIMIT_WRITES_PER_SECOND: '100000',
      RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY: '1000000',
      OUTBOX_RELAY: 'on',
      // a confirm cut off by the kill leaves its attempt open: it is resolved by querying the PSP
      PAYMENT_CALLBACK_TIMEOUT_MS: '1500',
      PAYMENT_QUERY_BACKOFF_MS: '500',
      // a confirm killed between recording its attempt and the PSP's answer leaves the attempt
      // pending with no event: the stranded-attempt sweep hands it to resolution after this long
      STRANDED_ATTEMPT_AFTER_MS: String(STRANDED_AFTER_MS),
      LOG_LEVEL: 'error',
    };
    const apps = await Promise.all(
      [0, 1].map(() => spawnChild(['tests/helpers/app-process-child.ts'], shared, /listening (http:\/\/[\d.:]+)/)),
    );
    for (const app of apps) appUpstreams.push(app.line.replace('listening ', ''));
    const engines = await Promise.all(
      [0, 1].map(async () => {
        const { freePort } = await import('@/tests/helpers/global-setup');
        const port = await freePort();
        engineUpstreams.push(`http://127.0.0.1:${port}`);
        return spawnChild(
          ['scripts/engine.ts'],
          {
            ...shared,
            ENGINE_PORT: String(port),
            ENGINE_POLL_MS: '50',
            ENGINE_LEASE_MS: '2000',
            ENGINE_CONCURRENCY: '8',
            INNGEST_SERVE_URL: `${appLb.url}/api/inngest`,
            LOG_LEVEL: 'info', // its "synced" line says it is ready
          },
          /synced \d+ function/,
        );
      }),
    );

    console.log(`[redundancy] ${new Date().toISOString()} two apps and two engines up`);
    const received: string[] = [];
    const receiver = await startFetchServer(async (req) => {
      const event = (await req.json()) as { id: string; type: string };
      if (event.type === 'payment_intent.succeeded') received.push(event.id);
      return new Response('ok');
    });
    servers.push(receiver);
    const m = await createTestMerchant();
    const key = m.secretKey;
    expect(
      (
        await post(`${appLb.url}/api/v1/webhook_endpoints`, key, {
          url: `${receiver.url}/hooks`,
          enabled_events: ['payment_intent.succeeded'],
        })
      ).status,
    ).toBe(200);

    // load: 6 loops of create + confirm with fresh cards for 8 s; one app and one engine die at 3 s
    const outcomes: { id: string | null; confirmStatus: number | null; afterKill: boolean }[] = [];
    let killed = false;
    const payOnce = async () => {
      const tok = await fetch(`${appLb.url}/api/sandbox/card/v1/tokens`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${publishableKey}`,
          'sandbox-account': m.merchant.id,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ number: freshCardNumber(), exp_month: 12, exp_year: new Date().getFullYear() + 2, cvc: '123' }),
      })
        .then((r) => r.json() as Promise<{ id?: string }>)
        .catch(() => ({}) as { id?: string });
      if (!tok.id) return;
      const created = await post(`${appLb.url}/api/v1/payment_intents`, key, {
        amount: 1000 + randomInt(5000),
        currency: 'usd',
      }).catch(() => null);
      const id = (created?.body.id as string | undefined) ?? null;
      if (!id) {
        outcomes.push({ id: null, confirmStatus: null, afterKill: killed });
        return;
      }
      const afterKill = killed;
      const confirmed = await post(`${appLb.url}/api/v1/payment_intents/${id}/confirm`, key, { payment_method: tok.id }).catch(
        () => null,
      );
      outcomes.push({ id, confirmStatus: confirmed?.status ?? null, afterKill });
    };
    // warm up both instances (first requests load the route modules)
    await Promise.all([payOnce(), payOnce()]);
    const deadline = Date.now() + 8_000;
    const killer = setTimeout(() => {
      apps[0]!.child.kill('SIGKILL');
      engines[0]!.child.kill('SIGKILL');
      killed = true;
    }, 3_000);
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (Date.now() < deadline) await payOnce();
      }),
    );
    clearTimeout(killer);
    expect(apps[0]!.child.signalCode).toBe('SIGKILL');
    expect(engines[0]!.child.signalCode).toBe('SIGKILL');

    const db = getDb();
    const phase = (name: string) => console.log(`[redundancy] ${new Date().toISOString()} ${name}`);
    phase(`load done: ${outcomes.length} payments`);
    const ids = outcomes.flatMap((o) => (o.id ? [o.id] : []));
    expect(ids.length).toBeGreaterThanOrEqual(6);
    // the survivors carry the load: payments started after the kill succeed
    expect(outcomes.filter((o) => o.afterKill && o.confirmStatus === 200).length).toBeGreaterThan(0);

    // every payment ends succeeded, or not charged (never confirmed / failed cleanly); none is stuck
    // in processing or requires_action
    await waitUntil(async () => {
      const rows = (await db.execute(
        sql`select count(*)::int as n from payment_intents where id in ${ids} and status in ('processing', 'requires_action')`,
      )) as unknown as { n: number }[];
      return rows[0]!.n === 0;
    }, 30_000);
    // A confirm whose app died between recording its attempt and the PSP's answer left the attempt
    // pending with no event. The stranded-attempt sweep (a cron, every minute, in the engines) hands
    // it to resolution; the test does not wait for the minute to turn: once the attempts are older
    // than STRANDED_ATTEMPT_AFTER_MS it runs the sweep's two steps itself, as the cron would (a
    // concurrent cron run changes nothing: awaitPspAnswer acts only on a still-stranded attempt,
    // under the intent's row lock). The intents move to processing and resolve-pending-payment on
    // the surviving engine asks the PSP.
    const open = sql`select pa.payment_intent_id as id, pa.status from payment_attempts pa
      where pa.payment_intent_id in ${ids} and pa.status in ('pending', 'requires_action')`;
    const cutOff = (await db.execute(open)) as unknown as { id: string }[];
    if (cutOff.length) console.log(`[redundancy] attempts left open by the killed app: ${cutOff.map((r) => r.id).join(', ')}`);
    for (const row of cutOff) expect(outcomes.find((o) => o.id === row.id)?.confirmStatus).not.toBe(200);
    await new Promise((resolve) => setTimeout(resolve, STRANDED_AFTER_MS + 500));
    for (const attempt of await findStrandedAttempts(STRANDED_AFTER_MS)) await awaitPspAnswer(attempt);
    // every attempt ends resolved (succeeded, failed or canceled), and so every intent
    await waitUntil(async () => ((await db.execute(open)) as unknown as unknown[]).length === 0, 60_000);
    await waitUntil(async () => {
      const rows = (await db.execute(
        sql`select count(*)::int as n from payment_intents where id in ${ids} and status in ('processing', 'requires_action')`,
      )) as unknown as { n: number }[];
      return rows[0]!.n === 0;
    }, 30_000);
    phase('no payment stuck');
    const succeeded = (
      (await db.execute(sql`select id from payment_intents where id in ${ids} and status = 'succeeded'`)) as unknown as {
        id: string;
      }[]
    ).map((r) => r.id);
    for (const o of outcomes) if (o.confirmStatus === 200) expect(succeeded).toContain(o.id);

    // every succeeded payment: one capture posting, one delivered webhook per endpoint
    await waitUntil(async () => {
      const rows = (await db.execute(sql`
        select (select count(*)::int from journal_transactions where kind = 'capture' and payment_intent_id in ${succeeded}) as posted,
               (select count(*)::int from webhook_deliveries d join outbox_events e on e.id = d.event_id
                 where e.aggregate_id in ${succeeded} and e.type = 'payment_intent.succeeded' and d.status = 'succeeded') as delivered`)) as unknown as {
        posted: number;
        delivered: number;
      }[];
      return rows[0]!.posted >= succeeded.length && rows[0]!.delivered >= succeeded.length;
    }, 60_000);
    phase('postings and deliveries done');
    const perPayment = (await db.execute(sql`
      select e.aggregate_id as id,
             (select count(*)::int from journal_transactions j where j.kind = 'capture' and j.payment_intent_id = e.aggregate_id) as postings,
             (select count(*)::int from webhook_deliveries d where d.event_id = e.id) as deliveries
        from outbox_events e where e.type = 'payment_intent.succeeded' and e.aggregate_id in ${succeeded}`)) as unknown as {
      id: string;
      postings: number;
      deliveries: number;
    }[];
    expect(perPayment).toHaveLength(succeeded.length); // one succeeded event per payment
    expect(perPayment.filter((p) => p.postings !== 1 || p.deliveries !== 1)).toEqual([]);
    const succeededEvents = new Set(
      (
        (await db.execute(
          sql`select id from outbox_events where type = 'payment_intent.succeeded' and aggregate_id in ${succeeded}`,
        )) as unknown as {
          id: string;
        }[]
      ).map((r) => r.id),
    );
    expect(new Set(received.filter((id) => succeededEvents.has(id))).size).toBe(succeeded.length);
  }, 90_000);
});
