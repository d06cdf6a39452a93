import type { Metadata } from 'next';
import Link from 'next/link';
import { StatusBadge } from '@/components/dashboard/status-badge';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { listMerchantDisputes } from '@/lib/dashboard/disputes';
import { formatMoney } from '@/lib/money';
import styles from '../dashboard.module.css';
import { requireUser } from '../session';

export const metadata: Metadata = { title: 'Disputes' };
export const dynamic = 'force-dynamic';

function when(d: Date): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

export default async function DisputesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const before = (await searchParams).before;
  const cursor = typeof before === 'string' && /^[a-z]+_[0-9A-Za-z]{4,64}$/.test(before) ? before : undefined;
  const { rows, nextCursor } = await listMerchantDisputes(user.merchantId, { before: cursor });
  const open = rows.filter((r) => r.open).length;
  return (
    <>
      <h1>Disputes</h1>
      <p className="muted">
        Chargebacks your customers’ banks opened, as the PSP reported them. Answer an open dispute with evidence in the PSP’s
        dashboard before its deadline; the disputed amount is held until the bank decides.
      </p>
      <section className={styles.card} aria-labelledby="disputes-heading">
        <h2 id="disputes-heading">{open > 0 ? `${open} open on this page` : 'Disputes'}</h2>
        {rows.length === 0 ? (
          <p className="empty-state" data-testid="disputes-empty">
            {cursor ? 'No older disputes.' : 'No disputes. When a customer’s bank disputes a payment, it appears here.'}
          </p>
        ) : (
          <DataTable
            caption="Disputes, newest first"
            rows={rows}
            rowKey={(d) => d.id}
            rowProps={(d) => ({ 'data-testid': 'dispute-row', 'data-payment-id': d.paymentIntentId })}
            testId="disputes-table"
            columns={[
              { header: 'Amount', kind: 'amount', cell: (d) => formatMoney(d.amount, d.currency) },
              { header: 'Status', cell: (d) => <StatusBadge status={d.status} /> },
              { header: 'Reason', cell: (d) => d.reason.replaceAll('_', ' ') },
              {
                header: 'Payment',
                kind: 'mono',
                cell: (d) => <Link href={`/dashboard/payments/${d.paymentIntentId}`}>{d.paymentIntentId}</Link>,
              },
              { header: 'Customer', kind: 'mono', cell: (d) => d.customerEmail ?? '—' },
              { header: 'Opened', cell: (d) => when(d.disputedAt) },
              { header: 'PSP', cell: (d) => `${d.psp} ${d.pspDisputeId}` },
            ]}
          />
        )}
        <nav className={styles.pager} aria-label="Pages">
          {cursor ? <Link href="/dashboard/disputes">← Newest</Link> : null}
          {nextCursor ? (
            <Link href={`/dashboard/disputes?before=${encodeURIComponent(nextCursor)}`} data-testid="disputes-next">
              Older disputes →
            </Link>
          ) : null}
        </nav>
      </section>
    </>
  );
}
