import { randomInt } from 'node:crypto';
import os from 'node:os';
import postgres from 'postgres';
import { createDb, type Db } from '@/db/client';
import { computeFeeMinor, createBatchingPoster, defaultFeeSchedule, merchantPending, recordCapture } from '@/lib/ledger';
import { benchEnv } from './env';
import { formatMs, percentileUs, runLoad, type LoadResult } from './stats';
import type { Benchmark, BenchContext, BenchReport } from './types';

/**
 * Ledger postings per second: captures (4 entries, 3 balance deltas, the payment's ledger row)
 * into ONE hot merchant with 50 producers, and spread over 10,000 merchants with 20 producers.
 * Each beside a naive baseline in the same run: an interactive transaction that locks the
 * merchant's single balance row (SELECT ... FOR UPDATE), writes the same journal rows and
 * UPDATEs the row. Balances are checked exact at the end.
 */

const { BENCH_DURATION_MS: DURATION_MS } = benchEnv();
const HOT_TARGET_PER_S = 3_000;
const HOT_TARGET_RATIO = 5;
const SPREAD_ACCOUNTS = 10_000;
const HOT_MERCHANT = 'mer_benchhot000000000000';
const FEES = defaultFeeSchedule('usd');

interface Scenario {
  name: string;
  producers: number;
  merchants: string[];
}

interface Implementation {
  name: string;
  /** Posts one capture; returns the merchant's net. */
  capture(merchantId: string, eventId: string, amountMinor: number): Promise<void>;
  /** Problems found comparing balances to the expected nets and to the stored entries. */
  verify(expectedNet: Map<string, number>): Promise<string[]>;
}

function spreadMerchantId(i: number): string {
  return `mer_bench${String(i).padStart(15, '0')}`;
}

async function seedMerchants(sql: postgres.Sql): Promise<void> {
  await sql`insert into merchants (id, name, email) values (${HOT_MERCHANT}, 'Hot merchant', 'hot@bench.test')`;
  await sql`insert into merchants (id, name, email)
    select 'mer_bench' || lpad(g::text, 15, '0'), 'Bench ' || g, 'm' || g || '@bench.test' from generate_series(0, ${SPREAD_ACCOUNTS - 1}) g`;
  // The baseline's tables: the same journal shape without our triggers, one balance row per merchant.
  await sql.unsafe(`
    create table bench_naive_journal (id text primary key, kind text not null, event_id text not null, merchant_id text, currency text not null,
      payment_intent_id text, created_at timestamptz not null default now(), unique (event_id, kind));
    create table bench_naive_entries (id text primary key, transaction_id text not null references bench_naive_journal(id),
      account_id text not null, currency text not null, amount_minor bigint not null, created_at timestamptz not null default now());
    create index on bench_naive_entries (transaction_id);
    create index on bench_naive_entries (account_id);
    create table bench_naive_balances (account_id text primary key, balance_minor bigint not null);`);
  await sql`insert into bench_naive_balances select id, 0 from merchants where id like 'mer_bench%'`;
  // Steady state for both: the baseline's balance rows exist, and so do the ledger's accounts
  // (a merchant's accounts are created by its first posting, once in its life).
  await sql`insert into ledger_accounts (id, kind, merchant_id, currency)
    select 'acct_merchant_pending.' || id || '.usd', 'merchant_pending', id, 'usd' from merchants where id like 'mer_bench%'`;
}

function ledgerImplementation(db: Db, sql: postgres.Sql, batched: boolean): Implementation {
  const poster = batched ? createBatchingPoster(db) : undefined;
  return {
    name: batched ? 'paykit ledger, group commit (batching poster)' : 'paykit ledger, 1 statement per posting',
    async capture(merchantId, eventId, amountMinor) {
      const input = {
        eventId,
        merchantId,
        paymentIntentId: `pi_${eventId}`,
        currency: 'usd' as const,
        psp: 'sandbox_card',
        amountMinor,
      };
      await recordCapture(db, input, { poster });
    },
    async verify(expectedNet) {
      const problems: string[] = [];
      const ids = [...expectedNet.keys()].map((m) => merchantPending(m, 'usd').id);
      const rows = await sql<{ id: string; balance: string; from_entries: string }[]>`
        select a.id,
               coalesce((select sum(balance_minor) from ledger_balances b where b.account_id = a.id), 0)::text as balance,
               coalesce((select -sum(amount_minor) from journal_entries e where e.account_id = a.id), 0)::text as from_entries
          from ledger_accounts a where a.id = any(${ids})`;
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [merchantId, net] of expectedNet) {
        const row = byId.get(merchantPending(merchantId, 'usd').id);
        if (!row || Number(row.balance) !== net || Number(row.from_entries) !== net) {
          problems.push(`${merchantId}: expected ${net}, balance ${row?.balance}, entries ${row?.from_entries}`);
        }
      }
      const [conservation] = await sql<
        { total: string }[]
      >`select coalesce(sum(amount_minor), 0)::text as total from journal_entries`;
      if (Number(conservation?.total) !== 0) problems.push(`entries sum to ${conservation?.total}, not 0`);
      const platform = await sql<{ id: string }[]>`
        select a.id from ledger_accounts a where a.merchant_id is null
           and coalesce((select sum(balance_minor) from ledger_balances b where b.account_id = a.id), 0)
            <> coalesce((select sum(amount_minor) from journal_entries e where e.account_id = a.id), 0)
               * (case when a.kind in ('psp_clearing', 'bank') then 1 else -1 end)`;
      for (const p of platform) problems.push(`platform account ${p.id} differs from its entries`);
      return problems;
    },
  };
}

function naiveImplementation(sql: postgres.Sql): Implementation {
  let n = 0;
  return {
    name: 'naive baseline (SELECT ... FOR UPDATE, UPDATE)',
    async capture(merchantId, eventId, amountMinor) {
      const fee = computeFeeMinor(amountMinor, FEES);
      const id = `jtx_naive_${eventId}`;
      const entry = (account: string, amount: number) => ({
        id: `je_naive_${eventId}_${n++}`,
        transaction_id: id,
        account_id: account,
        currency: 'usd',
        amount_minor: amount,
      });
      await sql.begin(async (tx) => {
        const [row] = await tx<
          { balance_minor: string }[]
        >`select balance_minor from bench_naive_balances where account_id = ${merchantId} for update`;
        await tx`insert into bench_naive_journal (id, kind, event_id, merchant_id, currency, payment_intent_id)
                 values (${id}, 'capture', ${eventId}, ${merchantId}, 'usd', ${`pi_${eventId}`})`;
        await tx`insert into bench_naive_entries ${tx([
          entry('psp_clearing', amountMinor),
          entry(merchantId, -amountMinor),
          entry(merchantId, fee),
          entry('fee_revenue', -fee),
        ])}`;
        await tx`update bench_naive_balances set balance_minor = ${Number(row?.balance_minor) + amountMinor - fee} where account_id = ${merchantId}`;
      });
    },
    async verify(expectedNet) {
      const rows = await sql<{ account_id: string; balance_minor: string; from_entries: string }[]>`
        select b.account_id, b.balance_minor::text,
               coalesce((select -sum(amount_minor) from bench_naive_entries e where e.account_id = b.account_id), 0)::text as from_entries
          from bench_naive_balances b where b.account_id = any(${[...expectedNet.keys()]})`;
      const byId = new Map(rows.map((r) => [r.account_id, r]));
      const problems: string[] = [];
      for (const [merchantId, net] of expectedNet) {
        const row = byId.get(merchantId);
        if (!row || Number(row.balance_minor) !== net || Number(row.from_entries) !== net)
          problems.push(`${merchantId}: expected ${net}`);
      }
      return problems;
    },
  };
}

interface Measurement {
  scenario: Scenario;
  implementation: string;
  load: LoadResult;
  problems: string[];
}

/** `expectedNet` accumulates across runs that write the same balances (both ledger variants). */
async function measure(
  scenario: Scenario,
  impl: Implementation,
  tag: string,
  expectedNet: Map<string, number>,
  log: BenchContext['log'],
): Promise<Measurement> {
  log(`${scenario.name}: ${impl.name} for ${DURATION_MS} ms`);
  const load = await runLoad(scenario.producers, DURATION_MS, async (producer, seq) => {
    const merchantId = scenario.merchants[randomInt(scenario.merchants.length)]!;
    const amountMinor = randomInt(100, 100_000);
    await impl.capture(merchantId, `evt_${tag}_${producer}_${seq}`, amountMinor);
    expectedNet.set(merchantId, (expectedNet.get(merchantId) ?? 0) + amountMinor - computeFeeMinor(amountMinor, FEES));
  });
  const problems = await impl.verify(expectedNet);
  if (load.errors > 0) problems.push(`${load.errors} postings failed, first: ${String(load.firstError)}`);
  return { scenario, implementation: impl.name, load, problems };
}

function perSecond(load: LoadResult): number {
  return load.operations / (load.elapsedMs / 1000);
}

export const ledgerBenchmark: Benchmark = {
  name: 'ledger',
  description: 'capture postings/s: one hot merchant (50 producers) and 10,000 merchants (20 producers), vs a row-lock baseline',
  async run({ databaseUrl, log }): Promise<BenchReport> {
    const poolMax = 50;
    const { sql, db } = createDb(databaseUrl, { max: poolMax });
    try {
      await seedMerchants(sql);
      const spread = Array.from({ length: SPREAD_ACCOUNTS }, (_, i) => spreadMerchantId(i));
      const scenarios: Scenario[] = [
        { name: 'hot account', producers: 50, merchants: [HOT_MERCHANT] },
        { name: `${SPREAD_ACCOUNTS.toLocaleString('en-US')} accounts`, producers: 20, merchants: spread },
      ];
      const rows: BenchReport['rows'] = [];
      const notes: string[] = [];
      let ok = true;
      const only = benchEnv().BENCH_LEDGER_SCENARIO; // e.g. "hot" to run one scenario while tuning
      for (const [i, scenario] of scenarios.entries()) {
        if (only && !scenario.name.includes(only)) continue;
        const ledgerExpected = new Map<string, number>();
        const single = await measure(scenario, ledgerImplementation(db, sql, false), `s${i}`, ledgerExpected, log);
        const ours = await measure(scenario, ledgerImplementation(db, sql, true), `b${i}`, ledgerExpected, log);
        const naive = await measure(scenario, naiveImplementation(sql), `n${i}`, new Map(), log);
        const ratio = perSecond(ours.load) / Math.max(perSecond(naive.load), 1e-9);
        for (const m of [single, ours, naive]) {
          rows.push([
            scenario.name,
            m.implementation,
            scenario.producers,
            m.load.operations,
            Math.round(perSecond(m.load)),
            formatMs(percentileUs(m.load.latenciesUs, 50)),
            formatMs(percentileUs(m.load.latenciesUs, 99)),
            m.load.errors,
            Math.round(m.load.clientCpuUs / Math.max(m.load.operations, 1)),
            m.problems.length === 0 ? 'exact' : 'MISMATCH',
            `${(perSecond(m.load) / Math.max(perSecond(naive.load), 1e-9)).toFixed(1)}x`,
          ]);
          for (const p of m.problems.slice(0, 5)) notes.push(`  ${scenario.name} / ${m.implementation}: ${p}`);
          ok &&= m.problems.length === 0;
        }
        if (i === 0) {
          const meets = perSecond(ours.load) >= HOT_TARGET_PER_S && ratio >= HOT_TARGET_RATIO;
          notes.push(
            `hot account target (>= ${HOT_TARGET_PER_S} postings/s and >= ${HOT_TARGET_RATIO}x baseline): ${meets ? 'met' : 'NOT met'} ` +
              `(${Math.round(perSecond(ours.load))}/s, ${ratio.toFixed(1)}x)`,
          );
        }
      }
      notes.push(
        `load average at the end: ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} on ${os.cpus().length} CPUs (other processes skew absolute numbers)`,
      );
      notes.push(`each run ${DURATION_MS} ms (BENCH_DURATION_MS), pool of ${poolMax} connections for both implementations`);
      return {
        title: 'Ledger postings (capture: 4 entries, 3 balance deltas, payment state)',
        columns: [
          'scenario',
          'implementation',
          'producers',
          'postings',
          'postings/s',
          'p50 ms',
          'p99 ms',
          'errors',
          'client CPU µs/posting',
          'balances',
          'ratio',
        ],
        rows,
        notes,
        ok,
      };
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
