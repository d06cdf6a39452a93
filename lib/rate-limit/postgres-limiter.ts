import { sql } from 'drizzle-orm';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import RateLimiterStoreAbstract from 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js';
import type { DbOrTx } from '@/db/client';

/**
 * rate-limiter-flexible's fixed-window limiter, stored in Postgres (table rate_limit_counters)
 * through our own postgres.js/drizzle connection, so a limit holds across every app instance.
 *
 * Why a store of our own rather than the library's: RateLimiterPostgres only talks to a `pg`
 * Pool/Client, Sequelize, Knex or TypeORM (we have none of them: the app uses postgres.js), and
 * RateLimiterDrizzle loads drizzle-orm with a computed dynamic import that a bundled Next server
 * cannot resolve, and stamps expiry with each instance's own clock. The library still does the
 * limiting (windows, in-memory blocking of keys already over the limit, insurance); this class
 * only supplies its three storage primitives. Each consume is ONE statement: an atomic upsert
 * that starts a new window when the old one expired, timed by the database's clock. The clock is
 * clock_timestamp(), not now(): an upsert that waited for the row lock must judge expiry by the
 * time it got it, or it could report a window longer than the limit's.
 */
export interface PostgresRateLimiterOptions {
  keyPrefix: string;
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
  /** The connection to count in (a getter, so a pool closed and reopened by tests is picked up). */
  db: () => DbOrTx;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Whole seconds until the window resets (at least 1): the Retry-After value. */
  retryAfterSeconds: number;
  remaining: number;
}

interface CounterRow extends Record<string, unknown> {
  points: number;
  ms_left: number | null;
}

const PRUNE_EVERY_MS = 5 * 60_000;
const PRUNE_AFTER_EXPIRED_MS = 60 * 60_000;

export class PostgresRateLimiter extends RateLimiterStoreAbstract {
  private readonly db: () => DbOrTx;

  constructor(options: PostgresRateLimiterOptions) {
    super({
      storeClient: options.db,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.duration,
      // A key over its limit is refused from memory until its window ends: a flood costs no queries.
      inMemoryBlockOnConsumed: options.points + 1,
    });
    this.db = options.db;
    schedulePrune(options.db);
  }

  /** Counts one request against `key`; resolves with the verdict (store errors reject). */
  async take(key: string): Promise<RateLimitVerdict> {
    try {
      const res = await this.consume(key, 1);
      return { allowed: true, retryAfterSeconds: 0, remaining: res.remainingPoints };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)), remaining: 0 };
    }
  }

  // ---- the store primitives RateLimiterStoreAbstract calls ----

  async _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<CounterRow> {
    const expire = msDuration > 0 ? sql`clock_timestamp() + ${msDuration}::float8 * interval '1 millisecond'` : sql`null`;
    const expired = sql`(rate_limit_counters.expire is not null and rate_limit_counters.expire <= clock_timestamp())`;
    const onConflict = forceExpire
      ? sql`points = excluded.points, expire = excluded.expire`
      : sql`points = case when ${expired} then excluded.points else rate_limit_counters.points + excluded.points end,
            expire = case when ${expired} then excluded.expire else rate_limit_counters.expire end`;
    const rows = await this.db().execute<CounterRow>(sql`
      insert into rate_limit_counters (key, points, expire) values (${rlKey}, ${points}, ${expire})
      on conflict (key) do update set ${onConflict}
      returning points, round(extract(epoch from (expire - clock_timestamp())) * 1000)::float8 as ms_left`);
    const row = rows[0];
    if (!row) throw new Error('rate limit upsert returned no row');
    return row;
  }

  async _get(rlKey: string): Promise<CounterRow | null> {
    const rows = await this.db().execute<CounterRow>(sql`
      select points, round(extract(epoch from (expire - clock_timestamp())) * 1000)::float8 as ms_left
      from rate_limit_counters where key = ${rlKey} and (expire is null or expire > clock_timestamp())`);
    return rows[0] ?? null;
  }

  async _delete(rlKey: string): Promise<boolean> {
    const rows = await this.db().execute(sql`delete from rate_limit_counters where key = ${rlKey} returning key`);
    return rows.length > 0;
  }

  _getRateLimiterRes(_rlKey: string, changedPoints: number, row: CounterRow): RateLimiterRes {
    const consumed = Number(row.points);
    const msLeft = row.ms_left === null ? -1 : Math.max(0, Number(row.ms_left));
    return new RateLimiterRes(Math.max(this.points - consumed, 0), msLeft, consumed, consumed === changedPoints);
  }
}

// Expired windows are dead rows; one prune per process every few minutes keeps the table small
// without adding a statement to any request.
let pruneTimer: NodeJS.Timeout | undefined;
function schedulePrune(db: () => DbOrTx): void {
  if (pruneTimer) return;
  pruneTimer = setInterval(() => {
    db()
      .execute(sql`delete from rate_limit_counters where expire < clock_timestamp() - ${PRUNE_AFTER_EXPIRED_MS}::float8 * interval '1 millisecond'`)
      .catch(() => undefined);
  }, PRUNE_EVERY_MS);
  pruneTimer.unref();
}
