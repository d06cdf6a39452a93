import type { Metadata } from 'next';
import { formatWhen } from '@/components/dashboard/access/format';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { getPspHealth, PSP_HEALTH_WINDOW_HOURS } from '@/lib/admin/console';
import styles from '../../dashboard/dashboard.module.css';
import { requireOperator } from '../guard';

export const metadata: Metadata = { title: 'PSP health' };
export const dynamic = 'force-dynamic';

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

export default async function AdminPspHealthPage() {
  await requireOperator();
  const health = await getPspHealth();
  return (
    <>
      <h1>PSP health</h1>
      <section className={styles.card} aria-labelledby="psp-health-heading">
        <h2 id="psp-health-heading">Last {PSP_HEALTH_WINDOW_HOURS} hours, all merchants</h2>
        <p className="muted">
          Payment attempts per PSP and how they ended, the latest failure, and PSP callbacks not yet processed. The circuit
          breaker is kept in each app process&apos;s memory and is not recorded, so it is not shown here; a run of failures
          below is what opens it.
        </p>
        {health.length === 0 ? (
          <p className="empty-state" data-testid="psp-health-empty">
            No payment attempts or callbacks in the last {PSP_HEALTH_WINDOW_HOURS} hours.
          </p>
        ) : (
          <DataTable
            caption="Health per PSP"
            testId="psp-health"
            rows={health}
            rowKey={(h) => h.psp}
            rowProps={(h) => ({ 'data-testid': 'psp-health-row', 'data-psp': h.psp })}
            columns={[
              { header: 'PSP', kind: 'mono', cell: (h) => h.psp },
              { header: 'Attempts', kind: 'amount', cell: (h) => h.attempts },
              { header: 'Succeeded', kind: 'amount', cell: (h) => h.succeeded },
              { header: 'Failed', kind: 'amount', cell: (h) => h.failed },
              { header: 'In flight', kind: 'amount', cell: (h) => h.inFlight },
              { header: 'Success rate', kind: 'amount', testId: 'psp-success-rate', cell: (h) => percent(h.successRate) },
              {
                header: 'Last error',
                kind: 'wrap',
                cell: (h) => (h.lastError ? `${formatWhen(h.lastError.at)}: ${h.lastError.code ?? 'failed'}${h.lastError.message ? ` (${h.lastError.message})` : ''}` : '—'),
              },
              {
                header: 'Callback backlog',
                kind: 'amount',
                testId: 'psp-inbox-backlog',
                cell: (h) => (h.inboxBacklog === 0 ? '0' : `${h.inboxBacklog} (oldest ${formatWhen(h.oldestUnprocessedAt)}, ${h.inboxErrors} with errors)`),
              },
            ]}
          />
        )}
      </section>
    </>
  );
}
