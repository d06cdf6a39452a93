import type { Metadata } from 'next';
import Link from 'next/link';
import { describeFee, getBalancesView, type BalancesView } from '@/lib/dashboard/balances';
import { AppError } from '@/lib/errors';
import { formatMoney } from '@/lib/money';
import styles from '../dashboard.module.css';
import { requireUser } from '../session';

export const metadata: Metadata = { title: 'Balances' };
export const dynamic = 'force-dynamic';

const TYPE_LABELS: Record<string, string> = {
  capture: 'Payment',
  refund: 'Refund',
  refund_confirmed: 'Refund confirmed',
  refund_failed: 'Refund failed (returned)',
  settlement: 'Settlement (pending → available)',
  reversal: 'Reversal',
  payout: 'Payout to your bank',
};

export default async function BalancesPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requireUser();
  const params = await searchParams;
  const startingAfter = params.after && /^jtx_[0-9A-Za-z]+$/.test(params.after) ? params.after : undefined;
  let view: BalancesView;
  try {
    view = await getBalancesView(user.merchantId, { startingAfter });
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'resource_missing') throw err;
    return (
      <section className={styles.card}>
        <h1>Balances</h1>
        <p className="notice notice-error" role="alert">
          That page of balance transactions does not exist. <Link href="/dashboard/balances">Start from the newest</Link>.
        </p>
      </section>
    );
  }
  const { balances, transactions, fees } = view;
  const last = transactions.data.at(-1);
  return (
    <>
      <h1>Balances</h1>
      <section className={styles.card} aria-labelledby="balances-heading">
        <h2 id="balances-heading">Your balance</h2>
        {balances.length === 0 ? (
          <p className="empty-state" data-testid="balances-empty">
            No balance yet: a captured payment shows up here within seconds.
          </p>
        ) : (
          <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Balances per currency">
            <table className={styles.table} data-testid="balances-table">
              <caption className="visually-hidden">Available and pending balance per currency</caption>
              <thead>
                <tr>
                  <th scope="col">Currency</th>
                  <th scope="col">Available</th>
                  <th scope="col">Pending</th>
                  <th scope="col">Total</th>
                </tr>
              </thead>
              <tbody>
                {balances.map((b) => (
                  <tr key={b.currency} data-testid={`balance-${b.currency}`}>
                    <th scope="row">{b.currency.toUpperCase()}</th>
                    <td className={styles.amount} data-testid={`balance-available-${b.currency}`}>
                      {formatMoney(b.availableMinor, b.currency)}
                    </td>
                    <td className={styles.amount} data-testid={`balance-pending-${b.currency}`}>
                      {formatMoney(b.pendingMinor, b.currency)}
                    </td>
                    <td className={styles.amount} data-testid={`balance-total-${b.currency}`}>
                      {formatMoney(b.availableMinor + b.pendingMinor, b.currency)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="small muted">Pending funds become available at the daily settlement.</p>
      </section>

      <section className={styles.card} aria-labelledby="transactions-heading">
        <h2 id="transactions-heading">Balance transactions</h2>
        {transactions.data.length === 0 ? (
          <p className="empty-state" data-testid="balance-transactions-empty">
            No balance transactions {startingAfter ? 'on this page' : 'yet'}.
          </p>
        ) : (
          <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Balance transactions">
            <table className={styles.table} data-testid="balance-transactions">
              <caption className="visually-hidden">Balance transactions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Type</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Fee</th>
                  <th scope="col">Net</th>
                  <th scope="col">Balance after</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {transactions.data.map((t) => (
                  <tr key={t.id} data-testid="balance-transaction" data-type={t.type}>
                    <td>{t.created.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
                    <td>{TYPE_LABELS[t.type] ?? t.type}</td>
                    <td className={styles.amount}>{formatMoney(t.amountMinor, t.currency)}</td>
                    <td className={styles.amount}>{t.feeMinor ? formatMoney(t.feeMinor, t.currency) : '—'}</td>
                    <td className={styles.amount}>{formatMoney(t.netMinor, t.currency)}</td>
                    <td className={styles.amount}>{formatMoney(t.balanceAfterMinor, t.currency)}</td>
                    <td className={styles.mono}>
                      {t.source.paymentIntentId ? (
                        <Link
                          href={`/dashboard/payments/${t.source.paymentIntentId}${t.source.refundId ? `#${t.source.refundId}` : ''}`}
                        >
                          {t.source.refundId ?? t.source.paymentIntentId}
                        </Link>
                      ) : (
                        t.id
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className={styles.pager} aria-label="Balance transaction pages">
          {startingAfter ? <Link href="/dashboard/balances">← Newest</Link> : null}
          {transactions.hasMore && last ? (
            <Link href={`/dashboard/balances?after=${last.id}`} data-testid="balance-transactions-next">
              Older →
            </Link>
          ) : null}
        </nav>
      </section>

      <section className={styles.card} aria-labelledby="fees-heading">
        <h2 id="fees-heading">Fee schedule</h2>
        <p className="small muted">Charged on each captured payment, taken from the pending balance.</p>
        <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Fee schedule">
          <table className={styles.table} data-testid="fee-schedule">
            <caption className="visually-hidden">Fees per currency</caption>
            <thead>
              <tr>
                <th scope="col">Currency</th>
                <th scope="col">Fee per payment</th>
              </tr>
            </thead>
            <tbody>
              {fees.map((f) => (
                <tr key={f.currency} data-testid={`fee-${f.currency}`}>
                  <th scope="row">{f.currency.toUpperCase()}</th>
                  <td>{describeFee(f.schedule, f.currency, formatMoney)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
