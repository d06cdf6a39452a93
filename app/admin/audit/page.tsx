import type { Metadata } from 'next';
import { formatWhen } from '@/components/dashboard/access/format';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { listOperatorAudit } from '@/lib/admin/operators';
import styles from '../../dashboard/dashboard.module.css';
import { requireOperator } from '../guard';

export const metadata: Metadata = { title: 'Audit' };
export const dynamic = 'force-dynamic';

export default async function AdminAuditPage() {
  await requireOperator();
  const rows = await listOperatorAudit(100);
  return (
    <>
      <h1>Operator audit log</h1>
      <section className={styles.card} aria-labelledby="audit-heading">
        <h2 id="audit-heading">Latest 100 entries</h2>
        <p className="muted">Every operator sign-in, failed sign-in and console action, newest first.</p>
        {rows.length === 0 ? (
          <p className="empty-state" data-testid="admin-audit-empty">
            Nothing recorded yet.
          </p>
        ) : (
          <DataTable
            caption="Operator audit log, newest first"
            testId="admin-audit-table"
            rows={rows}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ 'data-testid': 'admin-audit-row', 'data-action': r.action })}
            columns={[
              { header: 'When', cell: (r) => formatWhen(r.createdAt) },
              { header: 'Who', cell: (r) => r.actorEmail ?? 'cli' },
              { header: 'What', cell: (r) => <code>{r.action}</code> },
              { header: 'Merchant', kind: 'mono', cell: (r) => r.merchantId ?? '—' },
              { header: 'Target', kind: 'mono', cell: (r) => (r.targetId ? `${r.targetType ?? ''} ${r.targetId}`.trim() : '—') },
              { header: 'IP', cell: (r) => r.ip ?? '—' },
            ]}
          />
        )}
      </section>
    </>
  );
}
