import type { Metadata } from 'next';
import Link from 'next/link';
import formStyles from '@/components/dashboard/forms.module.css';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { Field, Fields } from '@/components/dashboard/ui/field';
import { customerFiltersSchema, listDashboardCustomers } from '@/lib/dashboard/customers';
import { formatMoney } from '@/lib/money';
import styles from '../dashboard.module.css';
import { requireUser } from '../session';

export const metadata: Metadata = { title: 'Customers' };
export const dynamic = 'force-dynamic';

export default async function CustomersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  const raw = await searchParams;
  const { q, before } = customerFiltersSchema.parse({ q: typeof raw.q === 'string' ? raw.q : undefined, before: typeof raw.before === 'string' ? raw.before : undefined });
  const { rows, nextCursor } = await listDashboardCustomers(user.merchantId, { q, before });
  const qs = (extra: Record<string, string>) => `?${new URLSearchParams({ ...(q ? { q } : {}), ...extra }).toString()}`;
  return (
    <>
      <h1>Customers</h1>
      <p className="muted">
        The customers your integration created through the API (<code>POST /v1/customers</code>), with the payments made for them
        and the cards they saved.
      </p>
      <form method="get" action="/dashboard/customers" className={styles.card} role="search" aria-label="Search customers">
        <Fields>
          <Field id="q" label="Search" basis="16rem">
            <input id="q" name="q" type="search" defaultValue={q ?? ''} placeholder="email, name or cus_…" data-testid="customers-search" />
          </Field>
        </Fields>
        <div className={formStyles.row}>
          <button type="submit" className="button button-small button-primary">
            Search
          </button>
          {q ? <Link href="/dashboard/customers">Clear</Link> : null}
        </div>
      </form>
      <section className={styles.card} aria-labelledby="customers-heading">
        <h2 id="customers-heading" className="visually-hidden">
          Customer list
        </h2>
        {rows.length === 0 ? (
          <p className="empty-state" data-testid="customers-empty">
            {q || before ? 'No customers match.' : 'No customers yet. Create one with POST /v1/customers, or pass customer on a checkout session.'}
          </p>
        ) : (
          <DataTable
            caption="Customers, newest first"
            rows={rows}
            rowKey={(r) => r.customer.id}
            rowProps={(r) => ({ 'data-testid': 'customer-row', 'data-customer-id': r.customer.id })}
            testId="customers-table"
            columns={[
              {
                header: 'Customer',
                cell: (r) => (
                  <Link href={`/dashboard/customers/${r.customer.id}`} data-testid="customer-link">
                    {r.customer.name ?? r.customer.email ?? r.customer.id}
                  </Link>
                ),
              },
              { header: 'Email', kind: 'mono', cell: (r) => r.customer.email ?? '—' },
              { header: 'Payments', cell: (r) => String(r.payments), testId: 'customer-payments' },
              {
                header: 'Received',
                kind: 'amount',
                cell: (r) => (r.received.length ? r.received.map((x) => formatMoney(x.amount, x.currency)).join(' · ') : '—'),
              },
              { header: 'Created', cell: (r) => `${r.customer.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` },
              { header: 'ID', kind: 'mono', cell: (r) => r.customer.id },
            ]}
          />
        )}
        <nav className={styles.pager} aria-label="Pages">
          {before ? <Link href={`/dashboard/customers${q ? qs({}) : ''}`}>← Newest</Link> : null}
          {nextCursor ? (
            <Link href={`/dashboard/customers${qs({ before: nextCursor })}`} data-testid="customers-next">
              Older customers →
            </Link>
          ) : null}
        </nav>
      </section>
    </>
  );
}
