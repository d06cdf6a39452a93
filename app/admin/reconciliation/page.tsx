import type { Metadata } from 'next';
import { formatWhen } from '@/components/dashboard/access/format';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { DriftChart, type DriftChartPoint } from '@/components/admin/drift-chart';
import { ExceptionActions, RerunForm } from '@/components/admin/reconciliation-forms';
import { driftOverTime, listOpenExceptions, listRuns } from '@/lib/reconciliation';
import { formatMoney, isCurrency } from '@/lib/money';
import styles from '../../dashboard/dashboard.module.css';
import { requireOperator } from '../guard';
import { exceptionAction, rerunAction } from './actions';

export const metadata: Metadata = { title: 'Reconciliation' };
export const dynamic = 'force-dynamic';

const money = (minor: number, currency: string) => (isCurrency(currency) ? formatMoney(minor, currency) : `${minor} ${currency}`);
const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

export default async function AdminReconciliationPage() {
  await requireOperator();
  const [runs, drift, exceptions] = await Promise.all([listRuns(60), driftOverTime(30), listOpenExceptions(100)]);
  const psps = [...new Set(drift.map((d) => d.psp))];
  const byDay = new Map<string, DriftChartPoint>();
  for (const point of drift) {
    const row = byDay.get(point.day) ?? { day: point.day };
    row[point.psp] = Math.round(point.matchRate * 1000) / 10;
    byDay.set(point.day, row);
  }
  return (
    <>
      <h1>Reconciliation</h1>
      <section className={styles.card} aria-labelledby="drift-heading">
        <h2 id="drift-heading">Match rate over the last 30 days</h2>
        {byDay.size === 0 ? <p className="empty-state">No runs yet.</p> : <DriftChart data={[...byDay.values()]} psps={psps} />}
      </section>
      <section className={styles.card} aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs per PSP and day</h2>
        {runs.length === 0 ? (
          <p className="empty-state" data-testid="recon-runs-empty">
            No reconciliation has run yet. It runs daily at 01:30 UTC, or: npm run admin -- reconcile --psp sandbox_card --date YYYY-MM-DD
          </p>
        ) : (
          <DataTable
            caption="Reconciliation runs, newest day first"
            testId="recon-runs-table"
            rows={runs}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ 'data-testid': 'recon-run-row', 'data-run': r.id })}
            columns={[
              { header: 'Day', cell: (r) => r.reportDate },
              { header: 'PSP', cell: (r) => r.psp },
              { header: 'Lines', kind: 'amount', cell: (r) => `${r.lines}${r.reportComplete ? '' : ' (day not over)'}` },
              { header: 'Match rate', kind: 'amount', cell: (r) => percent(r.matchRate) },
              { header: 'Healed', kind: 'amount', cell: (r) => r.healed },
              {
                header: 'Other outcomes',
                cell: (r) =>
                  Object.entries(r.exceptions)
                    .map(([k, n]) => `${k.replace(/_/g, ' ')}: ${n}`)
                    .join(', ') || '—',
              },
              { header: 'Ran', cell: (r) => formatWhen(r.createdAt) },
              { header: '', cell: (r) => <RerunForm rerun={rerunAction} psp={r.psp} date={r.reportDate} /> },
            ]}
          />
        )}
      </section>
      <section className={styles.card} aria-labelledby="exceptions-heading">
        <h2 id="exceptions-heading">Open exceptions</h2>
        <p className="muted">What reconciliation could not heal on its own: the PSP&apos;s line and our records side by side.</p>
        {exceptions.length === 0 ? (
          <p className="empty-state" data-testid="recon-exceptions-empty">
            No open exceptions.
          </p>
        ) : (
          <DataTable
            caption="Open reconciliation exceptions, oldest first"
            testId="recon-exceptions-table"
            rows={exceptions}
            rowKey={(x) => x.id}
            rowProps={(x) => ({ 'data-testid': 'recon-exception-row', 'data-kind': x.kind })}
            columns={[
              { header: 'Kind', cell: (x) => <code>{x.kind}</code> },
              { header: 'PSP', cell: (x) => x.psp },
              { header: 'Amount', kind: 'amount', cell: (x) => money(x.amountMinor, x.currency) },
              { header: 'Payment', kind: 'mono', cell: (x) => x.paymentIntentId ?? '—' },
              {
                header: 'Evidence (PSP line | ours)',
                cell: (x) => {
                  const e = x.evidence as { line?: unknown; ours?: unknown };
                  return (
                    <details>
                      <summary>{x.subject}</summary>
                      <pre className="small">{JSON.stringify({ psp_line: e.line ?? null, ours: e.ours ?? null }, null, 2)}</pre>
                    </details>
                  );
                },
              },
              { header: 'Raised', cell: (x) => formatWhen(x.createdAt) },
              {
                header: 'Action',
                cell: (x) => (
                  <ExceptionActions
                    act={exceptionAction}
                    exceptionId={x.id}
                    canWriteOff={x.kind === 'missing_at_psp' || x.kind === 'amount_mismatch'}
                    canRefund={x.kind === 'missing_here' && (x.evidence as { line?: { type?: string } }).line?.type === 'charge'}
                  />
                ),
              },
            ]}
          />
        )}
      </section>
    </>
  );
}
