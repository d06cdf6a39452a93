import Link from 'next/link';
import type { PaymentRow } from '@/lib/dashboard/payments';
import { formatMoney } from '@/lib/money';
import { StatusBadge } from './status-badge';
import styles from './tables.module.css';

/** The payments table of the list and the overview. */
export function PaymentsTable({ rows, caption }: { rows: PaymentRow[]; caption: string }) {
  return (
    <div className={styles.wrap} tabIndex={0} role="region" aria-label={caption}>
      <table className={styles.table} data-testid="payments-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Amount</th>
            <th scope="col">Status</th>
            <th scope="col">Customer</th>
            <th scope="col">Method</th>
            <th scope="col">Date</th>
            <th scope="col">ID</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.id} data-testid="payment-row" data-payment-id={p.id}>
              <td className={styles.amount}>
                <Link href={`/dashboard/payments/${p.id}`} data-testid="payment-link">
                  {formatMoney(p.amount, p.currency)}
                </Link>
              </td>
              <td>
                <StatusBadge status={p.status} />
              </td>
              <td>{p.email ?? '—'}</td>
              <td>{p.card ? `${p.card.brand} •••• ${p.card.last4}` : (p.method ?? '—')}</td>
              <td>{p.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
              <td className={styles.mono}>{p.id}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
