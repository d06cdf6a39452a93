import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, getDb } from '@/db/client';
import { resetEnvCache } from '@/lib/env';
import { PostgresRateLimiter, type RateLimitVerdict } from '@/lib/rate-limit';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Rate limits (issue 9, item 7): per secret key on the API, per client IP on the pay page, per
 * source on PSP callbacks; counted in Postgres so they hold across app instances.
 */

let app: TestApp;

function setEnv(values: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
}

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());
afterEach(() =>
  setEnv({
    PAY_RATE_LIMIT_PER_MINUTE: undefined,
    CALLBACK_RATE_LIMIT_PER_SECOND: undefined,
    API_RATE_LIMIT_READS_PER_SECOND: undefined,
    API_RATE_LIMIT_WRITES_PER_SECOND: undefined,
  }),
);

const tally = (statuses: number[]) => ({
  ok: statuses.filter((s) => s < 400).length,
  limited: statuses.filter((s) => s === 429).length,
  other: statuses.filter((s) => s >= 400 && s !== 429).length,
});

describe('public API, per secret key', () => {
  // The limits are set low here so that the burst outruns them even on a loaded 2-core machine
  // (where 600 requests take several seconds); the defaults (100/25) are checked in lib/env, and
  // the exact count per window below, on the limiter itself.
  it('600 reads in a burst: at most the limit per window succeed, the rest get 429 rate_limit with Retry-After', async () => {
    setEnv({ API_RATE_LIMIT_READS_PER_SECOND: '20' });
    const merchant = await createTestMerchant();
    const api = apiClient(app, merchant.secretKey);
    const pi = (await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' })).body;
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 600 }, () => api.get(`/api/v1/payment_intents/${pi.id}`)));
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const counts = tally(responses.map((r) => r.status));
    expect(counts.other).toBe(0);
    expect(counts.ok + counts.limited).toBe(600);
    // fixed one-second windows: the burst touches at most ceil(elapsed) + 1 of them
    expect(counts.ok).toBeGreaterThanOrEqual(20);
    expect(counts.ok).toBeLessThanOrEqual(20 * windows);
    expect(counts.limited).toBeGreaterThanOrEqual(600 - 20 * windows);
    for (const r of responses.filter((x) => x.status === 429)) {
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
      expect(r.headers.get('retry-after')).toBe('1');
    }
    for (const r of responses.filter((x) => x.status === 200)) expect(r.body.id).toBe(pi.id);
    // another key is not affected
    const other = apiClient(app, (await createTestMerchant()).secretKey);
    expect((await other.get('/api/v1/payment_intents')).status).toBe(200);
  });

  it('writes have their own limit, and a refused write changes nothing', async () => {
    setEnv({ API_RATE_LIMIT_WRITES_PER_SECOND: '5' });
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' })),
    );
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const counts = tally(responses.map((r) => r.status));
    expect(counts.other).toBe(0);
    expect(counts.ok).toBeGreaterThanOrEqual(5);
    expect(counts.ok).toBeLessThanOrEqual(5 * windows);
    expect(counts.limited).toBe(100 - counts.ok);
    // reads are counted apart: listing works while writes are refused
    const list = await api.get('/api/v1/payment_intents?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(counts.ok);
  });

  it('unauthenticated requests are refused before they count against anyone', async () => {
    const res = await apiClient(app, 'sk_test_nosuchkey000000000000').get('/api/v1/payment_intents');
    expect(res.status).toBe(401);
  });
});

describe('pay page, per client IP', () => {
  it('limits one IP and leaves another alone', async () => {
    setEnv({ PAY_RATE_LIMIT_PER_MINUTE: '5' });
    const status = (ip: string) =>
      fetch(`${app.url}/api/pay/cs_doesnotexist000000000000/mpesa`, { headers: { 'x-forwarded-for': ip } }).then(async (r) => ({
        status: r.status,
        retryAfter: r.headers.get('retry-after'),
        body: (await r.json()) as any,
      }));
    const first = await Promise.all(Array.from({ length: 8 }, () => status('198.51.100.200')));
    expect(first.filter((r) => r.status === 404)).toHaveLength(5);
    const limited = first.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited[0]!.retryAfter)).toBeLessThanOrEqual(60);
    expect(limited[0]!.body.error.type).toBe('invalid_request_error');
    // confirm shares the budget
    const confirm = await fetch(`${app.url}/api/pay/cs_doesnotexist000000000000/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.200' },
      body: JSON.stringify({ token: 'tok_x', email: 'a@b.test' }),
    });
    expect(confirm.status).toBe(429);
    expect((await status('198.51.100.201')).status).toBe(404);
  });
});

describe('PSP callbacks, per source', () => {
  it('limits a flood from one source', async () => {
    setEnv({ CALLBACK_RATE_LIMIT_PER_SECOND: '3' });
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(`${app.url}/api/psp/sandbox/callback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.10' },
          body: '{}',
        }),
      ),
    );
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const statuses = responses.map((r) => r.status);
    // the ones let through reach the handler, which refuses the unsigned body
    const passed = statuses.filter((s) => s !== 429);
    expect(passed.length).toBeGreaterThanOrEqual(3);
    expect(passed.length).toBeLessThanOrEqual(3 * windows);
    expect(passed.every((s) => s === 400 || s === 401)).toBe(true);
    const limited = responses.find((r) => r.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
  });
});

describe('the Postgres limiter', () => {
  const verdicts = (xs: RateLimitVerdict[]) => ({ allowed: xs.filter((x) => x.allowed).length, refused: xs.filter((x) => !x.allowed).length });

  it('counts exactly under concurrency: 600 concurrent consumes of a 100-point window let exactly 100 through', async () => {
    const limiter = new PostgresRateLimiter({ keyPrefix: `t1-${crypto.randomUUID()}`, points: 100, duration: 60, db: getDb });
    const results = await Promise.all(Array.from({ length: 600 }, () => limiter.take('k')));
    expect(verdicts(results)).toEqual({ allowed: 100, refused: 500 });
    for (const r of results.filter((x) => !x.allowed)) {
      expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(50);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
  });

  it('holds across two app instances (separate limiter objects on separate connection pools)', async () => {
    const prefix = `t2-${crypto.randomUUID()}`;
    const url = process.env.DATABASE_URL!;
    const poolA = createDb(url, { max: 5 });
    const poolB = createDb(url, { max: 5 });
    try {
      const a = new PostgresRateLimiter({ keyPrefix: prefix, points: 100, duration: 60, db: () => poolA.db });
      const b = new PostgresRateLimiter({ keyPrefix: prefix, points: 100, duration: 60, db: () => poolB.db });
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).take('shared')));
      expect(verdicts(results)).toEqual({ allowed: 100, refused: 200 });
      const fromA = results.filter((r, i) => i % 2 === 1 && r.allowed).length;
      expect(fromA).toBeGreaterThan(0);
      expect(fromA).toBeLessThan(100);
    } finally {
      await Promise.all([poolA.sql.end(), poolB.sql.end()]);
    }
  });

  it('starts a new window when the old one expires, and writes one row per key', async () => {
    const prefix = `t3-${crypto.randomUUID()}`;
    const limiter = new PostgresRateLimiter({ keyPrefix: prefix, points: 2, duration: 1, db: getDb });
    expect(verdicts(await Promise.all([limiter.take('w'), limiter.take('w'), limiter.take('w')]))).toEqual({ allowed: 2, refused: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await limiter.take('w')).allowed).toBe(true);
    const rows = await getDb().execute(sql`select count(*)::int as n from rate_limit_counters where key like ${`${prefix}%`}`);
    expect(rows[0]).toEqual({ n: 1 });
  });
});
