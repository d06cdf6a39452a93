import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { Stat, StatGrid } from '@/components/dashboard/ui/stat-grid';
import { AppError } from '@/lib/errors';
import { formatMoney, type Currency } from '@/lib/money';
import { getMerchantPayout, payoutReport, TEST_BANK_ACCOUNT_LAST4, type ReportCategory } from '@/lib/payouts';
import styles from '../../dashboard.module.css';
import { requirePermission } from '../../guard';

export const metadata: Metadata = { title: 'Payout' };
export const dynamic = 'force-dynamic';

const CATEGORY_LABELS: Record<ReportCategory, string> = {
  charge: 'Payment',
  refund: 'Refund',
  refund_failure: 'Refund failed (returned)',
  reversal: 'Reversal',
  settlement: 'Settlement',
  adjustment: 'Adjustment',
  pending_carried_over: 'Booked during the sweep (carried over)',
};

const STATUS_LABELS = { in_transit: 'In transit', paid: 'Paid', failed: 'Failed' } as const;

const when = (d: Date) => `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`;

export default async function PayoutPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePermission('dashboard:read');
  const { id } = await params;
  const payout = await getMerchantPayout(user.merchantId, id).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'resource_missing') notFound();
    throw err;
  });
  const lines = await payoutReport(payout);
  const currency = payout.currency as Currency;
  const sum = (pick: (l: (typeof lines)[number]) => number) => lines.reduce((s, l) => s + pick(l), 0);
  return (
    <>
      <p className="small">
        <Link href="/dashboard/payouts">← Payouts</Link>
      </p>
      <h1>
        Payout <span className={styles.mono} data-testid="payout-id">{payout.id}</span>
      </h1>
      <section className={styles.card} aria-labelledby="payout-summary-heading">
        <h2 id="payout-summary-heading">Summary</h2>
        <StatGrid testId="payout-summary">
          <Stat label="Amount" testId="payout-amount">
            {formatMoney(payout.amountMinor, currency)}
          </Stat>
          <Stat label="Status" testId="payout-status">
            {STATUS_LABELS[payout.status]}
          </Stat>
          <Stat label="Created">{when(payout.createdAt)}</Stat>
          <Stat label={payout.paidAt ? 'Paid' : 'Expected'}>{when(payout.paidAt ?? payout.arrivalDate)}</Stat>
          <Stat label="Bank account">•••• {payout.bankAccountLast4 ?? TEST_BANK_ACCOUNT_LAST4}</Stat>
        </StatGrid>
        <p>
          <a href={`/dashboard/payouts/${payout.id}/export`} className="button button-secondary" download data-testid="payout-csv">
            Download CSV
          </a>
        </p>
      </section>
      <section className={styles.card} aria-labelledby="payout-contents-heading">
        <h2 id="payout-contents-heading">What this payout contains</h2>
        <p className="muted">
          Gross {formatMoney(sum((l) => l.grossMinor), currency)}, fees {formatMoney(sum((l) => l.feeMinor), currency)}, net{' '}
          {formatMoney(sum((l) => l.netMinor), currency)}.
        </p>
        <DataTable
          caption="Payments, fees and refunds in this payout"
          testId="payout-contents"
          rows={lines}
          rowKey={(l) => `${l.balanceTransactionId}:${l.category}`}
          rowProps={(l) => ({ 'data-testid': 'payout-line', 'data-category': l.category })}
          columns={[
            { header: 'Booked', cell: (l) => when(l.created) },
            { header: 'Type', cell: (l) => CATEGORY_LABELS[l.category] },
            { header: 'Gross', kind: 'amount', cell: (l) => formatMoney(l.grossMinor, currency) },
            { header: 'Fee', kind: 'amount', cell: (l) => (l.feeMinor ? formatMoney(l.feeMinor, currency) : '—') },
            { header: 'Net', kind: 'amount', cell: (l) => formatMoney(l.netMinor, currency) },
            {
              header: 'Source',
              kind: 'mono',
              cell: (l) =>
                l.paymentIntentId ? (
                  <Link href={`/dashboard/payments/${l.paymentIntentId}${l.refundId ? `#${l.refundId}` : ''}`}>{l.refundId ?? l.paymentIntentId}</Link>
                ) : (
                  l.balanceTransactionId
                ),
            },
          ]}
        />
      </section>
    </>
  );
}
