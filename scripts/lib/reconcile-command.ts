import type { ReconcileSummary } from '@/lib/reconciliation';
import { UsageError, parseStrict } from './args';

export const RECONCILE_USAGE = `  reconcile --psp <psp> --date <YYYY-MM-DD> [--json]
      Reconcile one PSP's settlement report for a UTC day (sandbox_card; the app must be running
      so its report can be fetched). With --json, prints one JSON object:
      {run_id, psp, date, lines, matched, healed, exceptions: {kind: count}, rerun}.`;

export interface ReconcileCommand {
  kind: 'reconcile';
  psp: string;
  date: string;
  json: boolean;
}

export function parseReconcileCommand(argv: string[]): ReconcileCommand {
  const { values, positionals } = parseStrict(argv, {
    psp: { type: 'string' },
    date: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]}`);
  if (!values.psp?.trim()) throw new UsageError('Missing required option --psp.');
  if (!values.date || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new UsageError('Missing or invalid option --date (YYYY-MM-DD).');
  return { kind: 'reconcile', psp: values.psp.trim(), date: values.date, json: values.json === true };
}

/** The --json shape: exactly the run's summary fields the CLI documents. */
export function reconcileJson(run: ReconcileSummary) {
  return {
    run_id: run.run_id,
    psp: run.psp,
    date: run.date,
    lines: run.lines,
    matched: run.matched,
    healed: run.healed,
    exceptions: run.exceptions,
    rerun: run.rerun,
  };
}

export function formatReconcile(run: ReconcileSummary): string {
  const exceptions = Object.entries(run.exceptions)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([kind, n]) => `    ${kind.padEnd(18)} ${n}`);
  return [
    `${run.rerun ? 'Already reconciled (nothing changed)' : 'Reconciled'}: ${run.psp} ${run.date}, run ${run.run_id}`,
    `  lines     ${run.lines} (${run.report_lines} in the report${run.report_complete ? '' : ', the day is not over'})`,
    `  matched   ${run.matched}`,
    `  healed    ${run.healed}`,
    `  settled   ${run.settled} line(s) now`,
    ...(exceptions.length ? ['  by outcome', ...exceptions] : ['  no discrepancies']),
  ].join('\n');
}
