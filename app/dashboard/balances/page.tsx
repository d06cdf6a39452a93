import type { Metadata } from 'next';
import Link from 'next/link';
import { DataTable } from '@/components/dashboard/ui/data-table';
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
          <DataTable
            caption="Available and pending balance per currency"
            testId="balances-table"
            rows={balances}
            rowKey={(b) => b.currency}
            rowProps={(b) => ({ 'data-testid': `balance-${b.currency}` })}
            columns={[
              { header: 'Currency', rowHeader: true, cell: (b) => b.currency.toUpperCase() },
              {
                header: 'Available',
                kind: 'amount',
                testId: (b) => `balance-available-${b.currency}`,
                cell: (b) => formatMoney(b.availableMinor, b.currency),
              },
              {
                header: 'Pending',
                kind: 'amount',
                testId: (b) => `balance-pending-${b.currency}`,
                cell: (b) => formatMoney(b.pendingMinor, b.currency),
              },
              {
                header: 'Total',
                kind: 'amount',
                testId: (b) => `balance-total-${b.currency}`,
                cell: (b) => formatMoney(b.availableMinor + b.pendingMinor, b.currency),
              },
            ]}
          />
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
          <DataTable
            caption="Balance transactions, newest first"
            testId="balance-transactions"
            rows={transactions.data}
            rowKey={(t) => t.id}
            rowProps={(t) => ({ 'data-testid': 'balance-transaction', 'data-type': t.type })}
            columns={[
              { header: 'Date', kind: 'nowrap', cell: (t) => `${t.created.toISOString().replace('T', ' ').slice(0, 16)} UTC` },
              { header: 'Type', cell: (t) => TYPE_LABELS[t.type] ?? t.type },
              { header: 'Amount', kind: 'amount', cell: (t) => formatMoney(t.amountMinor, t.currency) },
              { header: 'Fee', kind: 'amount', cell: (t) => (t.feeMinor ? formatMoney(t.feeMinor, t.currency) : '—') },
              { header: 'Net', kind: 'amount', cell: (t) => formatMoney(t.netMinor, t.currency) },
              { header: 'Balance after', kind: 'amount', cell: (t) => formatMoney(t.balanceAfterMinor, t.currency) },
              {
                header: 'Source',
                kind: 'mono',
                cell: (t) =>
                  t.source.paymentIntentId ? (
                    <Link href={`/dashboard/payments/${t.source.paymentIntentId}${t.source.refundId ? `#${t.source.refundId}` : ''}`}>
                      {t.source.refundId ?? t.source.paymentIntentId}
                    </Link>
                  ) : (
                    t.id
                  ),
              },
            ]}
          />
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
        <DataTable
          caption="Fees per currency"
          testId="fee-schedule"
          rows={fees}
          rowKey={(f) => f.currency}
          rowProps={(f) => ({ 'data-testid': `fee-${f.currency}` })}
          columns={[
            { header: 'Currency', rowHeader: true, cell: (f) => f.currency.toUpperCase() },
            { header: 'Fee per payment', kind: 'wrap', cell: (f) => describeFee(f.schedule, f.currency, formatMoney) },
          ]}
        />
      </section>
    </>
  );
}
