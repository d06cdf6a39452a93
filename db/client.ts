import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { env } from '@/lib/env';
import * as schema from './schema';

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; domain functions that must join a caller's transaction take this. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

interface Pool {
  url: string;
  sql: postgres.Sql;
  db: Db;
}

// Cached on globalThis so Next's dev hot reload does not open a new pool per edit.
const holder = globalThis as unknown as { __payPool?: Pool };

export function createDb(url: string, options: { max?: number } = {}): { sql: postgres.Sql; db: Db } {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    connection: { application_name: 'paykit' },
  });
  return { sql, db: drizzle(sql, { schema, casing: 'snake_case' }) };
}

function currentPool(): Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: start the app with `npm start`, or set it to a Postgres URL.');
  if (!holder.__payPool || holder.__payPool.url !== url) {
    const { sql, db } = createDb(url, { max: env().DATABASE_POOL_MAX });
    holder.__payPool = { url, sql, db };
  }
  return holder.__payPool;
}

/** The app's database handle (reads DATABASE_URL on first use). */
export function getDb(): Db {
  return currentPool().db;
}

export function getSql(): postgres.Sql {
  return currentPool().sql;
}

export async function closeDb(): Promise<void> {
  const pool = holder.__payPool;
  holder.__payPool = undefined;
  if (pool) await pool.sql.end({ timeout: 5 });
}
