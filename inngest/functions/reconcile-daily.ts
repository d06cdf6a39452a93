import type { Inngest } from 'inngest';
import { dueReportDate, reconcileScheduled, RECONCILED_PSPS } from '@/lib/reconciliation';

/**
 * Every day at 01:30 UTC, once each PSP's file for yesterday is final: reconcile it, one step per
 * PSP (a PSP that fails retries alone). Safe to repeat: a run is idempotent per (PSP, date,
 * report hash), and every healing action is keyed by the PSP's line id.
 */
export const defineReconcileDaily = (inngest: Inngest) =>
  inngest.createFunction({ id: 'reconcile-daily', retries: 5, triggers: [{ cron: '30 1 * * *' }] }, async ({ step }) => {
    const date = await step.run('report-date', () => dueReportDate());
    const runs: Record<string, unknown> = {};
    for (const psp of RECONCILED_PSPS) runs[psp] = await step.run(`reconcile-${psp}`, () => reconcileScheduled(psp, date));
    return { date, runs };
  });
