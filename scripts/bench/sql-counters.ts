import postgres from 'postgres';

export interface SqlCounts {
  /** Statements executed in the bench database (pg_stat_statements), null when the extension is unavailable. */
  statements: number | null;
  /**
   * The statements clients sent (pg_stat_statements' top-level ones): round trips. `statements`
   * also counts what runs inside them (foreign-key checks, trigger queries), which costs Postgres
   * CPU but no round trip. null when the extension is unavailable.
   */
  roundTrips: number | null;
  /** Committed transactions in the bench database (autocommit statements count one each). */
  transactions: number;
}

/**
 * Counts SQL statements and transactions every process spends in one database, from Postgres's own
 * statistics: counts are not noisy on a shared machine, timings are. The observer's own queries
 * (its polls and these reads) are subtracted, so only the system under test is counted.
 */
export interface SqlObserver {
  /** Runs a query on the observer's connection; it is left out of the counts. */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  reset(): Promise<void>;
  read(): Promise<SqlCounts>;
  /**
   * The statements run most often since reset (calls, Postgres's execution time in ms, query text),
   * for finding what to cut. A nested statement's time is also inside the statement that ran it.
   */
  top(n: number): Promise<{ calls: number; ms: number; toplevel: boolean; query: string }[]>;
  close(): Promise<void>;
}

export async function openSqlObserver(databaseUrl: string): Promise<SqlObserver> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined, connection: { application_name: 'paykit-bench-observer' } });
  let own = 0;
  const run = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> => {
    own++;
    return (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[];
  };
  let hasStatements = false;
  try {
    await run('create extension if not exists pg_stat_statements');
    await run('select 1 from pg_stat_statements limit 1');
    hasStatements = true;
  } catch {
    // DATABASE_URL's server may not preload pg_stat_statements: transactions are still counted
  }
  let base = { statements: 0, roundTrips: 0, transactions: 0, own: 0 };
  const raw = async () => {
    const [row] = await run<{ statements: string | null; round_trips: string | null; transactions: string }>(
      `select ${
        hasStatements
          ? `(select coalesce(sum(calls), 0) from pg_stat_statements s where s.dbid = d.datid) as statements,
             (select coalesce(sum(calls), 0) from pg_stat_statements s where s.dbid = d.datid and s.toplevel) as round_trips`
          : 'null as statements, null as round_trips'
      }, d.xact_commit as transactions
       from pg_stat_database d where d.datname = current_database()`,
    );
    return {
      statements: Number(row?.statements ?? 0),
      roundTrips: Number(row?.round_trips ?? 0),
      transactions: Number(row?.transactions ?? 0),
    };
  };
  return {
    query: run,
    async reset() {
      if (hasStatements) await run('select pg_stat_statements_reset()');
      // pg_stat_database is sampled at transaction end and flushed about once a second
      await run('select pg_stat_clear_snapshot()');
      base = { ...(await raw()), own };
    },
    async read() {
      await new Promise((r) => setTimeout(r, 1100)); // let the stats collector flush
      await run('select pg_stat_clear_snapshot()');
      const now = await raw();
      const ownSince = own - base.own;
      return {
        statements: hasStatements ? Math.max(now.statements - base.statements - ownSince, 0) : null,
        roundTrips: hasStatements ? Math.max(now.roundTrips - base.roundTrips - ownSince, 0) : null,
        transactions: Math.max(now.transactions - base.transactions - ownSince, 0),
      };
    },
    async top(n) {
      if (!hasStatements) return [];
      const rows = await run<{ calls: string; ms: number; toplevel: boolean; query: string }>(
        `select s.calls, s.total_exec_time as ms, s.toplevel, s.query from pg_stat_statements s join pg_database d on d.oid = s.dbid
          where d.datname = current_database() and s.query not like '%pg_stat%'
          order by s.calls desc limit $1`,
        [n],
      );
      return rows.map((r) => ({ calls: Number(r.calls), ms: Number(r.ms), toplevel: r.toplevel, query: r.query.replace(/\s+/g, ' ') }));
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

/**
 * Prints the observer's `n` most frequent statements (BENCH_SQL_TOP), per unit of work: calls and
 * Postgres's execution time (ms), client and nested apart, under `heading` if given.
 */
export async function printTopStatements(observer: SqlObserver, n: number, units: number, unit: string, heading?: string): Promise<void> {
  if (n <= 0 || units <= 0) return;
  if (heading) console.error(heading);
  for (const t of await observer.top(n)) {
    const calls = (t.calls / units).toFixed(2).padStart(6);
    const ms = (t.ms / units).toFixed(3).padStart(7);
    console.error(`  ${calls}/${unit} ${ms} ms/${unit} ${t.toplevel ? 'client' : 'nested'}  ${t.query.slice(0, 200)}`);
  }
}
