import type { Metadata } from 'next';
import Link from 'next/link';
import { PAYMENT_INTENT_STATUSES, type PaymentIntentStatus } from '@/db/schema';
import { listMerchantPayments } from '@/lib/dashboard/payments';
import { formatMoney } from '@/lib/money';
import styles from './dashboard.module.css';
import { requireUser } from './session';

export const metadata: Metadata = { title: 'Payments' };
export const dynamic = 'force-dynamic';

const FILTERS: { label: string; status?: PaymentIntentStatus }[] = [
  { label: 'All' },
  { label: 'Succeeded', status: 'succeeded' },
  { label: 'Uncaptured', status: 'requires_capture' },
  { label: 'Incomplete', status: 'requires_payment_method' },
  { label: 'Canceled', status: 'canceled' },
];

function parseStatus(value: string | undefined): PaymentIntentStatus | undefined {
  return PAYMENT_INTENT_STATUSES.find((s) => s === value);
}

export default async function PaymentsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requireUser();
  const params = await searchParams;
  const status = parseStatus(params.status);
  const { rows, nextCursor } = await listMerchantPayments(user.merchantId, { status, before: params.before });
  const query = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ status, ...extra })) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `/dashboard?${s}` : '/dashboard';
  };
  return (
    <>
      <h1>Payments</h1>
      <nav className={styles.filters} aria-label="Filter by status">
        {FILTERS.map((f) => (
          <Link key={f.label} href={query({ status: f.status, before: undefined })} aria-current={f.status === status ? 'page' : undefined}>
            {f.label}
          </Link>
        ))}
      </nav>
      <section className={styles.card} aria-labelledby="payments-heading">
        <h2 id="payments-heading" className="visually-hidden">
          Payment list
        </h2>
        {rows.length === 0 ? (
          <p className="empty-state" data-testid="payments-empty">
            No payments yet. Buy something in the <Link href="/store">storefront</Link> with the test card 4242 4242 4242 4242.
          </p>
        ) : (
          <div className={styles.tableWrap}>
            <table className={styles.table} data-testid="payments-table">
              <thead>
                <tr>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Card</th>
                  <th scope="col">Date</th>
                  <th scope="col">ID</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.id} data-testid="payment-row">
                    <td className={styles.amount}>
                      <Link href={`/dashboard/payments/${p.id}`}>{formatMoney(p.amount, p.currency)}</Link>
                    </td>
                    <td>
                      <span className={`${styles.badge} ${styles[`badge_${p.status}`] ?? ''}`}>{p.status.replaceAll('_', ' ')}</span>
                    </td>
                    <td>{p.email ?? '—'}</td>
                    <td>{p.card ? `${p.card.brand} •••• ${p.card.last4}` : '—'}</td>
                    <td>{p.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
                    <td className={styles.mono}>{p.id}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {nextCursor ? (
          <p>
            <Link href={query({ before: nextCursor })} data-testid="payments-next">
              Older payments →
            </Link>
          </p>
        ) : null}
      </section>
    </>
  );
}
