import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '@/db/schema';
import { closeDb } from '@/db/client';
import { freshCardNumber } from '@/scripts/bench/e2e-load';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';
import { waitUntil } from '../helpers/wait';

/**
 * The confirm path's cost is counted, not timed (counts do not depend on how busy the machine
 * is): SQL statements and transactions the app sends for one create and for one confirm with a
 * fresh card at the sandbox card network, its two hops to the network included (the network runs
 * in the app's process and database, as under `npm start`). The app's pool is swapped for one that
 * counts what it sends; the code under test is the real one.
 */

interface Counter {
  statements: string[];
}

let app: TestApp;
let api: ReturnType<typeof apiClient>;
let merchantId: string;
let pool: postgres.Sql | undefined;
const counter: Counter = { statements: [] };

/** Installs a counting pool as the app's pool (db/client keeps it on globalThis). */
async function useCountingPool(): Promise<void> {
  await closeDb();
  const url = process.env.DATABASE_URL!;
  pool = postgres(url, {
    max: 10,
    onnotice: () => undefined,
    debug: (_connection, query) => {
      counter.statements.push(query.replace(/\s+/g, ' ').slice(0, 160));
    },
  });
  const db = drizzle(pool, { schema, casing: 'snake_case' });
  (globalThis as unknown as { __payPool?: unknown }).__payPool = { url, sql: pool, db };
}

beforeAll(async () => {
  app = await startTestApp();
  const merchant = await createTestMerchant();
  merchantId = merchant.merchant.id;
  api = apiClient(app, merchant.secretKey);
  await useCountingPool();
});
afterAll(async () => {
  await app.close();
  await closeDb();
});

/** Counts what `run` sends, after the background work it started (the network's callback) settles. */
async function count(run: () => Promise<void>): Promise<{ statements: string[]; transactions: number }> {
  counter.statements = [];
  await run();
  // the sandbox network's callback (and the key's last-used mark) are sent fire and forget after
  // the answer: counted once nothing new was sent for a second
  let seen = -1;
  let quietSince = Date.now();
  await waitUntil(() => {
    const now = counter.statements.length;
    if (now !== seen) {
      seen = now;
      quietSince = Date.now();
    }
    return Date.now() - quietSince >= 1_000;
  }, 15_000, 100);
  const statements = [...counter.statements];
  return { statements, transactions: statements.filter((s) => /^begin/i.test(s)).length };
}

async function payOnce(): Promise<{ create: Awaited<ReturnType<typeof count>>; confirm: Awaited<ReturnType<typeof count>> }> {
  const token = await tokenizeCard(app, freshCardNumber(), { merchantId });
  let id = '';
  const create = await count(async () => {
    const res = await api.post('/api/v1/payment_intents', { amount: 1000 + Math.floor(Math.random() * 9000), currency: 'usd' });
    expect(res.status).toBe(200);
    id = res.body.id;
  });
  const confirm = await count(async () => {
    const res = await api.post(`/api/v1/payment_intents/${id}/confirm`, { payment_method: token });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('succeeded');
  });
  return { create, confirm };
}

describe('the confirm path, counted', () => {
  it('creates and confirms a payment within the statement and transaction budget', async () => {
    await payOnce(); // warm: the merchant's first payment creates rows later ones reuse
    const { create, confirm } = await payOnce();
    if (process.env.PRINT_STATEMENTS) {
      console.log(`create: ${create.statements.length} statements, ${create.transactions} transactions\n  ${create.statements.join('\n  ')}`);
      console.log(`confirm: ${confirm.statements.length} statements, ${confirm.transactions} transactions\n  ${confirm.statements.join('\n  ')}`);
    }
    // create (measured 7): key lookup, rate limit, the intent and its outbox event in one
    // transaction, the request log.
    expect(create.statements.length).toBeLessThanOrEqual(7);
    expect(create.transactions).toBe(1);
    // confirm (measured 33 before the callback's close on receipt, was 45): the intent and its
    // payee read once (was three reads), the risk facts in one statement after the card's advisory lock (was one per fact), the intent
    // locked through its attempt when the answer is applied (was an extra attempt read), the
    // charge.succeeded event's charge in one statement (was five), the answer's object in one
    // (was four); plus the network's two hops (token, payment) and its callback, which run in
    // this process and database. The callback's route now reads the attempt (one statement) and,
    // when the answer was recorded first, closes the row (one more: 35 at most, 34 when the
    // callback came first): in place of a background run that read, counted and marked the row
    // in four statements plus the engine's own, which this count, with no engine, never saw.
    expect(confirm.statements.length).toBeLessThanOrEqual(35);
    // ours: the attempt with its risk decision, the network's payment, the answer applied
    expect(confirm.transactions).toBe(3);
  });
});
