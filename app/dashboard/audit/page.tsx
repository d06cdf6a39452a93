import type { Metadata } from 'next';
import Link from 'next/link';
import styles from '@/components/dashboard/access/access.module.css';
import { formatWhen } from '@/components/dashboard/access/format';
import { listAudit } from '@/lib/audit';
import { requirePermission } from '../guard';
import { DataTable } from '@/components/dashboard/ui/data-table';

export const metadata: Metadata = { title: 'Audit log' };
export const dynamic = 'force-dynamic';

const PAGE_SIZE = 50;

export default async function AuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requirePermission('dashboard:read');
  const before = (await searchParams).before;
  const cursor = typeof before === 'string' && /^[a-z]+_[0-9A-Za-z]{8,64}$/.test(before) ? before : undefined;
  const { rows, nextCursor } = await listAudit(user.merchantId, { limit: PAGE_SIZE, before: cursor });
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1>Audit log</h1>
        <p className="muted">Every sign-in and every change made from this dashboard: who, what, when and from which IP.</p>
      </header>
      <section className={styles.card} aria-labelledby="audit-heading">
        <h2 id="audit-heading">{cursor ? 'Older entries' : 'Latest entries'}</h2>
        {rows.length === 0 ? (
          <p className={styles.empty} data-testid="audit-empty">
            {cursor ? 'No older entries.' : 'Nothing recorded yet.'}
          </p>
        ) : (
          <>
            <p className="small muted">Newest first, {PAGE_SIZE} per page.</p>
            <DataTable
              caption="Audit log entries, newest first"
              testId="audit-table"
              rows={rows}
              rowKey={(r) => r.id}
              rowProps={(r) => ({ 'data-testid': 'audit-row', 'data-action': r.action })}
              columns={[
                { header: 'When', kind: 'nowrap', cell: (r) => formatWhen(r.createdAt) },
                { header: 'Who', kind: 'wrap', cell: (r) => r.actorEmail ?? 'system' },
                { header: 'What', cell: (r) => <code>{r.action}</code> },
                { header: 'Target', kind: 'mono', cell: (r) => (r.targetId ? `${r.targetType ?? ''} ${r.targetId}`.trim() : '—') },
                { header: 'IP', kind: 'nowrap', cell: (r) => r.ip ?? '—' },
              ]}
            />
          </>
        )}
        <nav className={styles.pager} aria-label="Audit log pages">
          {cursor ? <Link href="/dashboard/audit">← Newest</Link> : <span />}
          {nextCursor ? (
            <Link href={`/dashboard/audit?before=${encodeURIComponent(nextCursor)}`} data-testid="audit-older">
              Older →
            </Link>
          ) : null}
        </nav>
      </section>
    </div>
  );
}
