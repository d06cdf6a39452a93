import { and, eq, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { reconRuns, type ReconOutcome, type ReconRun } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { getPaymentMethodAdapter, isRegisteredPsp } from '@/lib/psp/registry';
import { PspError } from '@/lib/psp/types';
import { healRun, type HealResult } from './heal';
import { classifyLines, countOutcomes } from './match';
import { dropStaged, stageReport } from './stage';

/**
 * One reconciliation run: fetch the PSP's file for the day through its adapter, COPY it into
 * staging, classify every line in SQL, then heal and raise exceptions. Idempotent per (PSP, date,
 * report hash): the same report again finds the finished run, changes nothing, and says so
 * (rerun: true); only unfinished healing (a PSP that was unreachable) is tried again.
 */

export interface ReconcileInput {
  psp: string;
  /** YYYY-MM-DD, a UTC day. */
  date: string;
  now?: Date;
}

export interface ReconcileSummary {
  run_id: string;
  psp: string;
  date: string;
  /** Every item reconciled: report lines plus our records the PSP did not report. */
  lines: number;
  report_lines: number;
  matched: number;
  healed: number;
  /** Lines whose money moved pending -> available in this call. */
  settled: number;
  exceptions: Partial<Record<Exclude<ReconOutcome, 'matched'>, number>>;
  report_complete: boolean;
  rerun: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseReportDate(date: string, now: Date = new Date()): string {
  const start = new Date(`${date}T00:00:00Z`);
  if (!DATE.test(date) || Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== date)
    throw new AppError('parameter_invalid', `Invalid date: ${date} is not a date YYYY-MM-DD.`, { param: 'date' });
  if (start > now) throw new AppError('parameter_invalid', `Invalid date: ${date} has not begun yet.`, { param: 'date' });
  return date;
}

async function fetchFile(psp: string, date: string, now: Date) {
  try {
    return await getPaymentMethodAdapter(psp).settlementFile(date, now);
  } catch (err) {
    if (err instanceof PspError && err.reason === 'not_supported')
      throw new AppError('parameter_invalid', `${psp} has no settlement report to reconcile.`, { param: 'psp' });
    if (err instanceof PspError) throw new AppError('psp_unavailable', `${psp}'s settlement report could not be fetched: ${err.message}`);
    throw err;
  }
}

/** How often a report whose download failed (cut short, a dropped connection, a timeout) is fetched again. */
const REPORT_READ_ATTEMPTS = 3;

/**
 * Downloads the report and stages it. Reading a report is a read at the PSP and staging is keyed by
 * this run (cleared between attempts), so a transient failure mid-file is simply read again; a file
 * that stays broken fails the run, which changes nothing.
 */
async function fetchAndStage(psp: string, date: string, now: Date, runId: string) {
  for (let attempt = 1; ; attempt++) {
    const file = await fetchFile(psp, date, now);
    try {
      return { file, staged: await stageReport(runId, file.lines) };
    } catch (err) {
      if (!(err instanceof PspError)) throw err;
      await dropStaged(runId);
      if (attempt >= REPORT_READ_ATTEMPTS) throw new AppError('psp_unavailable', `${psp}'s settlement report could not be read: ${err.message}`);
      console.warn(`[reconcile] ${psp} ${date}: reading the report failed (${err.message}); reading it again (${attempt + 1}/${REPORT_READ_ATTEMPTS})`);
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileSummary> {
  const now = input.now ?? new Date();
  if (!isRegisteredPsp(input.psp)) throw new AppError('parameter_invalid', `Invalid psp: ${input.psp} is not a registered PSP.`, { param: 'psp' });
  const date = parseReportDate(input.date, now);
  const adapter = getPaymentMethodAdapter(input.psp);
  const runId = newId('reconRun');
  try {
    const { file, staged } = await fetchAndStage(input.psp, date, now, runId);
    const { run, rerun } = await getDb().transaction(async (tx) => {
      // One run per (PSP, date) at a time: two concurrent runs of the same report would race on it.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`recon:${input.psp}:${date}`}, 0))`);
      const [existing] = await tx
        .select()
        .from(reconRuns)
        .where(and(eq(reconRuns.psp, input.psp), eq(reconRuns.reportDate, date), eq(reconRuns.reportHash, staged.hash)));
      if (existing) return { run: existing, rerun: true };
      await tx.insert(reconRuns).values({
        id: runId,
        psp: input.psp,
        reportDate: date,
        reportHash: staged.hash,
        reportLines: staged.lines,
        lines: 0,
        matched: 0,
        exceptions: {},
        reportComplete: file.complete,
      });
      await classifyLines(tx, {
        runId,
        psp: input.psp,
        date,
        fees: adapter.pspFeeSchedule,
        reportComplete: file.complete,
        matchByReceipt: adapter.capabilities.methods.includes('mpesa'),
      });
      const totals = await countOutcomes(tx, runId);
      // Every line has exactly one outcome: the insert gave each one, and the totals must agree.
      if (totals.reportLines !== staged.lines) throw new Error(`run ${runId}: ${staged.lines} lines staged, ${totals.reportLines} classified`);
      const { matched = 0, ...exceptions } = totals.counts;
      const [created] = await tx
        .update(reconRuns)
        .set({ lines: totals.lines, matched, exceptions })
        .where(eq(reconRuns.id, runId))
        .returning();
      return { run: created!, rerun: false };
    });
    const healed = await healRun(run.id, input.psp, now);
    return summarize(run, healed, rerun);
  } finally {
    await dropStaged(runId);
  }
}

function summarize(run: ReconRun, heal: HealResult, rerun: boolean): ReconcileSummary {
  return {
    run_id: run.id,
    psp: run.psp,
    date: run.reportDate,
    lines: run.lines,
    report_lines: run.reportLines,
    matched: run.matched,
    healed: heal.healed,
    settled: heal.settled.lines,
    exceptions: run.exceptions as ReconcileSummary['exceptions'],
    report_complete: run.reportComplete,
    rerun,
  };
}
