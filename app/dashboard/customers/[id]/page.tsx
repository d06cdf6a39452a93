import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { PaymentsTable } from '@/components/dashboard/payments-table';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { Stat, StatGrid } from '@/components/dashboard/ui/stat-grid';
import { getCustomerDetail } from '@/lib/dashboard/customers';
import styles from '../../dashboard.module.css';
import { requireUser } from '../../session';

export const metadata: Metadata = { title: 'Customer' };
export const dynamic = 'force-dynamic';

export default async function CustomerPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const { id } = await params;
  const before = (await searchParams).before;
  const detail = await getCustomerDetail(user.merchantId, id, typeof before === 'string' ? before : undefined);
  if (!detail) notFound();
  const { customer, payments, nextPaymentsCursor, savedCards } = detail;
  return (
    <>
      <p>
        <Link href="/dashboard/customers">← Customers</Link>
      </p>
      <h1 data-testid="customer-heading">{customer.name ?? customer.email ?? customer.id}</h1>
      {customer.deletedAt ? (
        <p className="notice" role="status" data-testid="customer-deleted">
          This customer was deleted on {customer.deletedAt.toISOString().slice(0, 10)}; its saved cards were removed. Its payments stay
          below.
        </p>
      ) : null}
      <section className={styles.card} aria-labelledby="customer-details">
        <h2 id="customer-details">Details</h2>
        <StatGrid testId="customer-details">
          <Stat label="Email" mono testId="customer-email">
            {customer.email ?? '—'}
          </Stat>
          <Stat label="Phone">{customer.phone ?? '—'}</Stat>
          <Stat label="ID" mono>
            {customer.id}
          </Stat>
          <Stat label="Created">{`${customer.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`}</Stat>
          {Object.entries(customer.metadata).map(([k, v]) => (
            <Stat key={k} label={`metadata.${k}`} mono>
              {v}
            </Stat>
          ))}
        </StatGrid>
      </section>
      <section className={styles.card} aria-labelledby="customer-payments">
        <h2 id="customer-payments">Payments</h2>
        {payments.length === 0 ? (
          <p className="empty-state" data-testid="customer-payments-empty">
            No payments for this customer yet.
          </p>
        ) : (
          <PaymentsTable rows={payments} caption={`Payments of ${customer.id}, newest first`} />
        )}
        <nav className={styles.pager} aria-label="Pages">
          {typeof before === 'string' ? <Link href={`/dashboard/customers/${customer.id}`}>← Newest</Link> : null}
          {nextPaymentsCursor ? (
            <Link href={`/dashboard/customers/${customer.id}?before=${encodeURIComponent(nextPaymentsCursor)}`}>Older payments →</Link>
          ) : null}
        </nav>
      </section>
      <section className={styles.card} aria-labelledby="customer-cards">
        <h2 id="customer-cards">Saved cards</h2>
        {savedCards.length === 0 ? (
          <p className="empty-state">No saved cards.</p>
        ) : (
          <DataTable
            caption="Saved cards"
            rows={savedCards}
            rowKey={(pm) => pm.id}
            rowProps={() => ({ 'data-testid': 'saved-card-row' })}
            columns={[
              { header: 'Card', cell: (pm) => (pm.card ? `${pm.card.brand} •••• ${pm.card.last4}` : pm.type) },
              { header: 'Expires', cell: (pm) => (pm.card?.exp_month ? `${String(pm.card.exp_month).padStart(2, '0')}/${pm.card.exp_year}` : '—') },
              { header: 'ID', kind: 'mono', cell: (pm) => pm.id },
            ]}
          />
        )}
      </section>
    </>
  );
}
