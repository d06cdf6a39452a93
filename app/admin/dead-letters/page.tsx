import type { Metadata } from 'next';
import Link from 'next/link';
import { formatWhen } from '@/components/dashboard/access/format';
import { ActionForm } from '@/components/dashboard/action-form';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { listAllDeadLetters } from '@/lib/admin/console';
import styles from '../../dashboard/dashboard.module.css';
import { requireOperator } from '../guard';
import { replayDeadLetterOperatorAction } from './actions';

export const metadata: Metadata = { title: 'Dead letters' };
export const dynamic = 'force-dynamic';

function errorText(error: Record<string, unknown>): string {
  const message = typeof error.message === 'string' ? error.message : JSON.stringify(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

export default async function AdminDeadLettersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireOperator();
  const params = await searchParams;
  // replayed letters stay listed by default, so a replay's outcome stays on screen beside its row
  const openOnly = params.open === '1';
  const before = params.before && /^dl_[0-9A-Za-z]+$/.test(params.before) ? params.before : undefined;
  const { rows, nextCursor } = await listAllDeadLetters({ openOnly, before });
  const base = openOnly ? '/admin/dead-letters?open=1' : '/admin/dead-letters';
  return (
    <>
      <h1>Dead letters</h1>
      <section className={styles.card} aria-labelledby="dead-letters-heading">
        <h2 id="dead-letters-heading">{openOnly ? 'Not yet replayed, all merchants' : 'All dead letters, all merchants'}</h2>
        <p className="muted">
          Background runs that failed for good. Replay starts the failed work again with the same event; every function is
          idempotent on the record it applies, so work that already happened is not repeated.{' '}
          {openOnly ? <Link href="/admin/dead-letters">Show replayed ones too</Link> : <Link href="/admin/dead-letters?open=1">Show only those not yet replayed</Link>}
        </p>
        {rows.length === 0 ? (
          <p className="empty-state" data-testid="admin-dead-letters-empty">
            No dead letters{openOnly ? ' waiting' : ''}.
          </p>
        ) : (
          <DataTable
            caption="Dead letters, newest first"
            testId="admin-dead-letters"
            rows={rows}
            rowKey={(d) => d.id}
            rowProps={(d) => ({ 'data-testid': 'admin-dead-letter', 'data-dead-letter-id': d.id })}
            columns={[
              { header: 'Failed', cell: (d) => formatWhen(d.createdAt) },
              { header: 'Merchant', kind: 'mono', cell: (d) => d.merchantId ?? 'platform' },
              { header: 'Function', kind: 'mono', cell: (d) => d.functionId },
              { header: 'Event', kind: 'mono', cell: (d) => d.eventName },
              { header: 'Error', kind: 'wrap', cell: (d) => errorText(d.error) },
              { header: 'Replayed', testId: 'dead-letter-replayed', cell: (d) => formatWhen(d.replayedAt, 'never') },
              {
                header: 'Action',
                cell: (d) => (
                  <ActionForm action={replayDeadLetterOperatorAction} submitLabel="Replay" pendingLabel="Replaying…" variant="secondary" testId={`replay-${d.id}`}>
                    <input type="hidden" name="deadLetterId" value={d.id} />
                  </ActionForm>
                ),
              },
            ]}
          />
        )}
        <nav className={styles.pager} aria-label="Dead letter pages">
          {before ? <Link href={base}>← Newest</Link> : null}
          {nextCursor ? <Link href={`${base}${openOnly ? '&' : '?'}before=${nextCursor}`}>Older →</Link> : null}
        </nav>
      </section>
    </>
  );
}
