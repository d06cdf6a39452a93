import type { Metadata } from 'next';
import Link from 'next/link';
import { FilterDisclosure } from '@/components/dashboard/filter-disclosure';
import formStyles from '@/components/dashboard/forms.module.css';
import { PaymentsTable } from '@/components/dashboard/payments-table';
import { StatusLegend } from '@/components/dashboard/status-legend';
import { Field, Fields, SelectFilter } from '@/components/dashboard/ui/field';
import { PAYMENT_INTENT_STATUSES } from '@/db/schema';
import { listMerchantPayments, parsePaymentFilters, PAYMENT_METHODS, PSPS, type PaymentFilters } from '@/lib/dashboard/payments';
import { SUPPORTED_CURRENCIES } from '@/lib/money';
import styles from '../dashboard.module.css';
import { requireUser } from '../session';
import { STATUS_LEGEND } from '@/lib/dashboard/status-labels';

export const metadata: Metadata = { title: 'Payments' };

const underscoresToSpaces = (s: string) => s.replaceAll('_', ' ');
const upperCase = (s: string) => s.toUpperCase();
export const dynamic = 'force-dynamic';

function queryString(filters: PaymentFilters, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export default async function PaymentsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const params = await searchParams;
  const filters = parsePaymentFilters(params);
  const before = typeof params.before === 'string' ? params.before : undefined;
  const { rows, nextCursor } = await listMerchantPayments(user.merchantId, { ...filters, before });
  const activeFilters = Object.values(filters).filter(Boolean).length;
  const filtered = activeFilters > 0;
  return (
    <>
      <div className={styles.sectionHead}>
        <h1>Payments</h1>
        <a
          href={`/dashboard/payments/export${queryString(filters)}`}
          className="button button-small button-secondary"
          data-testid="payments-export"
          download
        >
          Export CSV
        </a>
      </div>
      <form
        method="get"
        action="/dashboard/payments"
        className={styles.card}
        role="search"
        aria-label="Search and filter payments"
        data-testid="payments-filters"
      >
        <FilterDisclosure active={activeFilters}>
          <Fields>
            <Field id="q" label="Search" basis="16rem">
              <input
                id="q"
                name="q"
                type="search"
                defaultValue={filters.q ?? ''}
                placeholder="pi_…, customer email or card last 4"
                data-testid="payments-search"
              />
            </Field>
            <SelectFilter
              id="status"
              label="Status"
              value={filters.status}
              options={PAYMENT_INTENT_STATUSES}
              format={underscoresToSpaces}
            />
            <SelectFilter id="method" label="Method" value={filters.method} options={PAYMENT_METHODS} />
            <SelectFilter id="psp" label="PSP" value={filters.psp} options={PSPS} />
            <SelectFilter
              id="currency"
              label="Currency"
              value={filters.currency}
              options={SUPPORTED_CURRENCIES}
              format={upperCase}
            />
            <Field id="from" label="From (UTC)">
              <input id="from" name="from" type="date" defaultValue={filters.from ?? ''} data-testid="filter-from" />
            </Field>
            <Field id="to" label="To (UTC)">
              <input id="to" name="to" type="date" defaultValue={filters.to ?? ''} data-testid="filter-to" />
            </Field>
          </Fields>
          <div className={formStyles.row}>
            <button type="submit" className="button button-small button-primary" data-testid="payments-apply">
              Apply
            </button>
            {filtered ? (
              <Link href="/dashboard/payments" data-testid="payments-clear">
                Clear filters
              </Link>
            ) : null}
          </div>
        </FilterDisclosure>
      </form>
      <section className={styles.card} aria-labelledby="payments-heading">
        <h2 id="payments-heading" className="visually-hidden">
          Payment list
        </h2>
        {rows.length === 0 ? (
          filtered || before ? (
            <p className="empty-state" data-testid="payments-empty">
              No payments match these filters. <Link href="/dashboard/payments">Clear filters</Link>
            </p>
          ) : (
            <p className="empty-state" data-testid="payments-empty">
              No payments yet. Buy something in the <Link href="/store">storefront</Link> with the test card 4242 4242 4242 4242.
            </p>
          )
        ) : (
          <PaymentsTable rows={rows} caption="Payments, newest first" />
        )}
        <StatusLegend legend={STATUS_LEGEND} />
        <nav className={styles.pager} aria-label="Pages">
          {before ? (
            <Link href={`/dashboard/payments${queryString(filters)}`} data-testid="payments-first">
              ← Newest
            </Link>
          ) : null}
          {nextCursor ? (
            <Link href={`/dashboard/payments${queryString(filters, { before: nextCursor })}`} data-testid="payments-next">
              Older payments →
            </Link>
          ) : null}
        </nav>
      </section>
    </>
  );
}
