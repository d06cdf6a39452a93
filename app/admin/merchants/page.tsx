import type { Metadata } from 'next';
import { formatWhen } from '@/components/dashboard/access/format';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { listMerchantSummaries } from '@/lib/admin/console';
import styles from '../../dashboard/dashboard.module.css';
import { requireOperator } from '../guard';

export const metadata: Metadata = { title: 'Merchants' };
export const dynamic = 'force-dynamic';

export default async function AdminMerchantsPage() {
  await requireOperator();
  const merchants = await listMerchantSummaries();
  return (
    <>
      <h1>Merchants</h1>
      <section className={styles.card} aria-labelledby="merchants-heading">
        <h2 id="merchants-heading">All merchants, newest first</h2>
        {merchants.length === 0 ? (
          <p className="empty-state">No merchants yet. Create one with npm run admin -- merchants create.</p>
        ) : (
          <DataTable
            caption="Merchants"
            testId="admin-merchants"
            rows={merchants}
            rowKey={(m) => m.id}
            rowProps={(m) => ({ 'data-testid': 'admin-merchant', 'data-merchant-id': m.id })}
            columns={[
              { header: 'Name', kind: 'wrap', cell: (m) => m.name },
              { header: 'ID', kind: 'mono', cell: (m) => m.id },
              { header: 'Email', kind: 'wrap', cell: (m) => m.email },
              { header: 'Created', cell: (m) => formatWhen(m.createdAt) },
              { header: 'Team', kind: 'amount', cell: (m) => m.users },
              { header: 'Attempts (24 h)', kind: 'amount', cell: (m) => m.payments24h },
              { header: 'Open dead letters', kind: 'amount', cell: (m) => m.openDeadLetters },
              { header: 'Payouts', kind: 'amount', cell: (m) => m.payoutsTotal },
            ]}
          />
        )}
      </section>
    </>
  );
}
