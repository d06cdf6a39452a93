import postgres from 'postgres';
import { getDb, getSql, closeDb } from '@/db/client';
import { readSettlementCsv } from '@/lib/psp/settlement-csv';
import { SANDBOX_CARD_FEE_SCHEDULE } from '@/lib/psp/sandbox-card';
import { classifyLines, countOutcomes } from '@/lib/reconciliation/match';
import { dropStaged, stageReport } from '@/lib/reconciliation/stage';
import { percentOfMinorHalfUp } from '@/lib/ledger/fees';
import { parseEnvWith } from '@/lib/env';
import { z } from 'zod';
import type { Benchmark, BenchContext, BenchReport } from './types';

/**
 * Reconciliation throughput: a day's settlement file of RECON_BENCH_LINES lines (default
 * 1,000,000) against as many payments, with ~4% faults of four kinds. The file is produced as a
 * byte stream and read by the adapter's CSV reader, COPY'd into staging and classified in SQL,
 * exactly as a run does (the HTTP hop and the healing steps are not timed). Beside it, in the same
 * run, the row-by-row baseline: per line, look up the attempt and its ledger state, decide in JS,
 * insert the outcome, over a sample of the lines. Prints lines/s, peak RSS and the ratio.
 */

const knobs = parseEnvWith(
  z.object({
    RECON_BENCH_LINES: z.coerce.number().int().min(1_000).max(5_000_000).default(1_000_000),
    RECON_BENCH_BASELINE_LINES: z.coerce.number().int().min(100).max(100_000).default(5_000),
  }),
  process.env,
);
const TARGET_SECONDS = 60;
const TARGET_RATIO = 10;
const DAY = '2026-01-15';
const MERCHANT = 'mer_benchrecon0000000000';
const PSP = 'sandbox_card';

const amountOf = (i: number) => 1_000 + (i % 5_000);
const feeOf = (amount: number) => percentOfMinorHalfUp(amount, SANDBOX_CARD_FEE_SCHEDULE.percentBps) + SANDBOX_CARD_FEE_SCHEDULE.fixedMinor;
/** Line i's fault: 1 fee differs, 2 amount differs, 3 duplicated, 4 left out (ours missing at the PSP). */
const faultOf = (i: number) => i % 100;

async function seed(sql: postgres.Sql, n: number): Promise<void> {
  const dayStart = `${DAY}T00:00:00Z`;
  await sql`insert into merchants (id, name, email) values (${MERCHANT}, 'Bench recon', 'recon@bench.test')`;
  await sql`insert into payment_intents (id, merchant_id, amount, currency, status, capture_method, amount_received)
    select 'pi_b' || g, ${MERCHANT}, 1000 + g % 5000, 'usd', 'succeeded', 'automatic', 1000 + g % 5000 from generate_series(1, ${n}) g`;
  await sql`insert into payment_attempts (id, payment_intent_id, merchant_id, status, amount, currency, psp, psp_idempotency_key, psp_reference,
                                          payment_method_type, created_at, updated_at)
    select 'pa_b' || g, 'pi_b' || g, ${MERCHANT}, 'succeeded', 1000 + g % 5000, 'usd', ${PSP}, 'key_' || g, 'sbxpay_b' || g, 'card',
           ${dayStart}::timestamptz + (g % 86000) * interval '1 second', ${dayStart}::timestamptz + (g % 86000) * interval '1 second'
      from generate_series(1, ${n}) g`;
  await sql`insert into ledger_payment_states (payment_intent_id, merchant_id, currency, psp, captured_minor, fee_minor, refunded_minor)
    select 'pi_b' || g, ${MERCHANT}, 'usd', ${PSP}, 1000 + g % 5000, 0, 0 from generate_series(1, ${n}) g`;
  await sql`analyze`;
}

function csvLine(i: number, overrides: { gross?: number; fee?: number } = {}): string {
  const gross = overrides.gross ?? amountOf(i);
  const fee = overrides.fee ?? feeOf(amountOf(i));
  const booked = new Date(Date.parse(`${DAY}T00:00:00Z`) + (i % 86_000) * 1_000).toISOString();
  return `sl_sbxpay_b${i},charge,sbxpay_b${i},key_${i},${gross},${fee},${gross - fee},usd,${booked},2026-01-16T00:00:00.000Z,pb_20260116\n`;
}

/** The file as the PSP would stream it, in chunks, never whole; and the outcomes it must give. */
function settlementFile(n: number) {
  const expected = { matched: 0, fee_mismatch: 0, amount_mismatch: 0, duplicate_at_psp: 0, missing_at_psp: 0 };
  const encoder = new TextEncoder();
  async function* bytes(): AsyncGenerator<Uint8Array> {
    let chunk = 'line_id,type,psp_reference,merchant_reference,gross,fee,net,currency,booked_at,available_on,payout_batch_id\n';
    let lines = 0;
    for (let i = 1; i <= n; i++) {
      const fault = faultOf(i);
      if (fault === 4) {
        expected.missing_at_psp += 1;
        continue;
      }
      if (fault === 1) {
        chunk += csvLine(i, { fee: feeOf(amountOf(i)) + 1 });
        expected.fee_mismatch += 1;
      } else if (fault === 2) {
        chunk += csvLine(i, { gross: amountOf(i) + 1 });
        expected.amount_mismatch += 1;
      } else {
        chunk += csvLine(i);
        expected.matched += 1;
      }
      lines += 1;
      if (fault === 3) {
        chunk += csvLine(i);
        expected.duplicate_at_psp += 1;
        lines += 1;
      }
      if (chunk.length > 64_000) {
        yield encoder.encode(chunk);
        chunk = '';
      }
    }
    yield encoder.encode(`${chunk}#eof,${lines}\n`);
  }
  return { bytes, expected };
}

/** The naive way: one line at a time, two lookups and an insert each, the decision in JS. */
async function rowByRow(sql: postgres.Sql, runId: string, lines: number): Promise<number> {
  const started = performance.now();
  for (let i = 1; i <= lines; i++) {
    const ref = `sbxpay_b${i}`;
    const [attempt] = await sql<{ id: string; status: string; amount: string; currency: string; payment_intent_id: string }[]>`
      select id, status, amount::text, currency, payment_intent_id from payment_attempts where psp = ${PSP} and psp_reference = ${ref}`;
    const [state] = attempt ? await sql<{ captured_minor: string }[]>`select captured_minor::text from ledger_payment_states where payment_intent_id = ${attempt.payment_intent_id}` : [];
    const gross = amountOf(i);
    const outcome = !attempt || attempt.status !== 'succeeded' ? 'missing_here' : Number(state?.captured_minor ?? 0) !== gross ? 'amount_mismatch' : 'matched';
    await sql`insert into recon_lines (run_id, psp, line_no, line_id, type, psp_reference, gross_minor, fee_minor, net_minor, currency, outcome, attempt_id)
      values (${runId}, ${PSP}, ${i}, ${`sl_${ref}`}, 'charge', ${ref}, ${gross}, ${feeOf(gross)}, ${gross - feeOf(gross)}, 'usd', ${outcome}, ${attempt?.id ?? null})`;
  }
  return lines / ((performance.now() - started) / 1000);
}

interface StatementCost {
  statement: string;
  calls: number;
  ms: number;
  blocks: number;
  tempWritten: number;
  walMb: number;
}

/**
 * What each statement of the set-based phase cost in Postgres's own counters (pg_stat_statements):
 * buffer blocks touched, temp blocks spilled and WAL written do not vary with the machine's load the
 * way seconds do, so two runs on a shared machine compare by these. Null without the extension.
 */
async function statementCosts(sql: postgres.Sql, reset: boolean): Promise<StatementCost[] | null> {
  try {
    await sql`create extension if not exists pg_stat_statements`;
    if (reset) {
      await sql`select pg_stat_statements_reset()`;
      return [];
    }
    const rows = await sql<{ statement: string; calls: string; ms: number; blocks: string; temp_written: string; wal_bytes: string }[]>`
      select regexp_replace(left(ltrim(query), 48), ${'\\s+'}, ' ', 'g') as statement, calls::text, total_exec_time as ms,
             (shared_blks_hit + shared_blks_read)::text as blocks, temp_blks_written::text as temp_written, wal_bytes::text
        from pg_stat_statements s where s.dbid = (select oid from pg_database where datname = current_database())
         and total_exec_time > 100 order by total_exec_time desc limit 6`;
    return rows.map((r) => ({
      statement: r.statement,
      calls: Number(r.calls),
      ms: r.ms,
      blocks: Number(r.blocks),
      tempWritten: Number(r.temp_written),
      walMb: Number(r.wal_bytes) / 1_048_576,
    }));
  } catch {
    return null;
  }
}

async function run(context: BenchContext): Promise<BenchReport> {
  const n = knobs.RECON_BENCH_LINES;
  process.env.DATABASE_URL = context.databaseUrl;
  const sql = getSql();
  context.log(`reconcile: seeding ${n.toLocaleString('en')} payments`);
  await seed(sql, n);
  const runId = 'rcn_bench00000000000000000';
  await sql`insert into recon_runs (id, psp, report_date, report_hash, report_lines, lines, matched, exceptions)
            values (${runId}, ${PSP}, ${DAY}, 'pending', 0, 0, 0, '{}')`;
  const file = settlementFile(n);
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  context.log('reconcile: streaming the file into staging (COPY) and classifying it');
  await statementCosts(sql, true);
  const started = performance.now();
  const staged = await stageReport(runId, readSettlementCsv(file.bytes(), 'bench'));
  const stagedAt = performance.now();
  const totals = await getDb().transaction(async (tx) => {
    await classifyLines(tx, { runId, psp: PSP, date: DAY, fees: SANDBOX_CARD_FEE_SCHEDULE, reportComplete: true });
    return countOutcomes(tx, runId);
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const costs = await statementCosts(sql, false);
  await dropStaged(runId);
  const setRate = staged.lines / seconds;

  context.log(`reconcile: row-by-row baseline over ${knobs.RECON_BENCH_BASELINE_LINES.toLocaleString('en')} lines`);
  const baselineRun = 'rcn_benchbaseline000000000';
  await sql`insert into recon_runs (id, psp, report_date, report_hash, report_lines, lines, matched, exceptions)
            values (${baselineRun}, ${PSP}, '2026-01-14', 'baseline', 0, 0, 0, '{}')`;
  const baselineRate = await rowByRow(sql, baselineRun, Math.min(knobs.RECON_BENCH_BASELINE_LINES, n));
  const ratio = setRate / baselineRate;

  const mismatches = Object.entries(file.expected).filter(([k, v]) => (totals.counts as Record<string, number>)[k] !== v);
  const accounted = totals.reportLines === staged.lines;
  await closeDb();
  const notes = [
    `outcomes: ${JSON.stringify(totals.counts)} (expected ${JSON.stringify(file.expected)})`,
    `every line accounted for: ${accounted ? 'yes' : 'NO'}; outcomes as planted: ${mismatches.length === 0 ? 'yes' : `NO (${mismatches.map(([k]) => k).join(', ')})`}`,
    `stage (read CSV + COPY) ${((stagedAt - started) / 1000).toFixed(1)} s, classify (one INSERT ... SELECT) ${(seconds - (stagedAt - started) / 1000).toFixed(1)} s`,
    ...(costs ?? []).map(
      (c) =>
        `  sql: ${c.statement} | calls ${c.calls} | ${(c.ms / 1000).toFixed(1)} s | blocks ${c.blocks.toLocaleString('en')} | temp written ${c.tempWritten.toLocaleString('en')} | WAL ${c.walMb.toFixed(0)} MB`,
    ),
    `targets: <= ${TARGET_SECONDS} s for the file (${seconds <= TARGET_SECONDS ? 'met' : 'MISSED'}), >= ${TARGET_RATIO}x row-by-row (${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`,
    'The machine is shared: numbers vary with other load; see README for what was measured.',
  ];
  return {
    title: `Reconciliation: ${staged.lines.toLocaleString('en')} settlement lines against ${n.toLocaleString('en')} payments`,
    columns: ['implementation', 'lines', 'seconds', 'lines/s', 'peak RSS MB'],
    rows: [
      ['set-based (COPY + SQL joins)', staged.lines, seconds.toFixed(1), Math.round(setRate), Math.round(peakRss / 1_048_576)],
      ['row-by-row baseline (sample)', Math.min(knobs.RECON_BENCH_BASELINE_LINES, n), '-', Math.round(baselineRate), '-'],
      ['ratio', '', '', `${ratio.toFixed(1)}x`, ''],
    ],
    notes,
    ok: accounted && mismatches.length === 0 && seconds <= TARGET_SECONDS && ratio >= TARGET_RATIO,
  };
}

export const reconcileBenchmark: Benchmark = {
  name: 'reconcile',
  description: 'a day of settlement lines reconciled against as many payments, set-based vs row by row',
  run,
};
