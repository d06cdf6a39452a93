import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import { pspDisabledReason } from '@/lib/psp';
import { isRegisteredPsp } from '@/lib/psp/registry';
import { parseReportDate, reconcile, type ReconcileSummary } from './run';
import { SETTLEABLE, settleDueLines } from './settle';

/** The PSPs reconciled every day, in this order (each has a daily settlement file). */
export const RECONCILED_PSPS = ['sandbox_card', 'stripe', 'mpesa'] as const;

/**
 * When a PSP's file for a day is final: the sandbox network closes its day at 00:00 UTC; Stripe's
 * balance transactions and M-Pesa's statement are read after the same hour's grace.
 */
export const REPORT_DUE_AFTER_MIDNIGHT_MS = 60 * 60_000;

/** The newest day whose reports are final at `now` (yesterday once the grace has passed). */
export function dueReportDate(now: Date = new Date()): string {
  return new Date(now.getTime() - REPORT_DUE_AFTER_MIDNIGHT_MS - 86_400_000).toISOString().slice(0, 10);
}

export type ScheduledRun = ReconcileSummary | { psp: string; date: string; skipped: string };

/**
 * One PSP's daily run for the cron. A PSP that has no settlement file (not configured, or a method
 * without one yet) is skipped with the reason, so one PSP never blocks the others.
 */
export async function reconcileScheduled(psp: string, date: string): Promise<ScheduledRun> {
  if (!isRegisteredPsp(psp)) return { psp, date, skipped: 'not a registered PSP' };
  const disabled = pspDisabledReason(psp);
  if (disabled) return { psp, date, skipped: `disabled: ${disabled}` };
  try {
    return await reconcile({ psp, date: parseReportDate(date) });
  } catch (err) {
    if (err instanceof AppError && err.param === 'psp') return { psp, date, skipped: err.message };
    throw err;
  }
}

/**
 * Settles every matched line whose available date has come, in the runs that still have one (a
 * run reconciled before its lines were available, one whose merchant's pending was short, or a
 * late success whose capture the ledger had not posted yet when its run healed it).
 */
export async function settleDueRuns(now: Date = new Date()): Promise<{ runs: number; lines: number }> {
  const runs = await getDb().execute<{ id: string; psp: string }>(sql`
    select distinct r.id, r.psp, r.report_date from recon_runs r
      join recon_lines l on l.run_id = r.id
     where ${SETTLEABLE} and l.available_on <= ${now.toISOString()}::timestamptz
       and not exists (select 1 from settlement_items i where i.psp = l.psp and i.line_id = l.line_id)
     order by r.report_date`);
  let lines = 0;
  for (const run of runs) lines += (await settleDueLines(run.id, run.psp, now)).lines;
  return { runs: runs.length, lines };
}
