import Link from 'next/link';
import type { PaymentRow } from '@/lib/dashboard/payments';
import { formatMoney } from '@/lib/money';
import { StatusBadge } from './status-badge';
import { DataTable, type Column } from './ui/data-table';
import styles from './ui/ui.module.css';

function RowNotes({ p }: { p: PaymentRow }) {
  const notes: string[] = [];
  if (p.failedAttempts > 0) notes.push(`${p.failedAttempts} declined ${p.failedAttempts === 1 ? 'attempt' : 'attempts'}`);
  if (p.amountRefunded > 0) notes.push(`${formatMoney(p.amountRefunded, p.currency)} refunded`);
  if (p.disputeStatus) notes.push(`dispute: ${p.disputeStatus.replaceAll('_', ' ')}`);
  if (notes.length === 0) return null;
  return (
    <span className="block small muted" data-testid="payment-row-notes">
      {notes.join(' · ')}
    </span>
  );
}

const COLUMNS: Column<PaymentRow>[] = [
  {
    header: 'Amount',
    kind: 'amount',
    cell: (p) => (
      <Link href={`/dashboard/payments/${p.id}`} data-testid="payment-link">
        {formatMoney(p.amount, p.currency)}
      </Link>
    ),
  },
  {
    header: 'Status',
    cell: (p) => (
      <>
        <StatusBadge status={p.status} display={p.display} testId="payment-row-status" />
        <RowNotes p={p} />
      </>
    ),
  },
  { header: 'Customer', cell: (p) => <span className={styles.mono}>{p.email ?? '—'}</span> },
  { header: 'Method', cell: (p) => (p.card ? `${p.card.brand} •••• ${p.card.last4}` : (p.method ?? '—')) },
  { header: 'Date', cell: (p) => `${p.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` },
  { header: 'ID', kind: 'mono', cell: (p) => p.id, testId: 'payment-row-id' },
];

/** The payments table of the list and the overview. */
export function PaymentsTable({ rows, caption }: { rows: PaymentRow[]; caption: string }) {
  return (
    <DataTable
      caption={caption}
      columns={COLUMNS}
      rows={rows}
      rowKey={(p) => p.id}
      rowProps={(p) => ({ 'data-testid': 'payment-row', 'data-payment-id': p.id })}
      testId="payments-table"
    />
  );
}
