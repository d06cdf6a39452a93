import type { Metadata } from 'next';
import Link from 'next/link';
import styles from '@/components/dashboard/access/access.module.css';
import { formatWhen } from '@/components/dashboard/access/format';
import { listAudit } from '@/lib/audit';
import { requirePermission } from '../guard';
import { TableWrap } from '@/components/dashboard/access/table-wrap';

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
          <TableWrap label="Audit log entries">
            <table className={styles.table} data-testid="audit-table">
              <caption>Newest first, {PAGE_SIZE} per page</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Target</th>
                  <th scope="col">IP</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-testid="audit-row" data-action={r.action}>
                    <td className={styles.nowrap}>{formatWhen(r.createdAt)}</td>
                    <td>{r.actorEmail ?? 'system'}</td>
                    <td>
                      <code>{r.action}</code>
                    </td>
                    <td className={styles.mono}>{r.targetId ? `${r.targetType ?? ''} ${r.targetId}`.trim() : '—'}</td>
                    <td className={styles.nowrap}>{r.ip ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
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
