import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { findReceiptView } from '@/lib/receipts';
import styles from '../receipts.module.css';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Receipt', robots: { index: false, follow: false } };

/** The receipt an email links to; its random id is the only key, as for the pay page's session id. */
export default async function ReceiptPage({ params }: { params: Promise<{ receiptId: string }> }) {
  const { receiptId } = await params;
  const receipt = await findReceiptView(receiptId);
  if (!receipt) notFound();
  const rows: [string, string, string][] = [
    [receipt.kind === 'refund' ? 'Amount refunded' : 'Amount paid', receipt.amountLabel, 'receipt-amount'],
    [receipt.kind === 'refund' ? 'Refunded to' : 'Paid with', receipt.methodLabel, 'receipt-method'],
    ['Date', receipt.dateLabel, 'receipt-date'],
    ['Receipt number', receipt.id, 'receipt-number'],
  ];
  return (
    <main id="main" className={styles.shell}>
      <article className={styles.card} data-testid="receipt">
        <p className={styles.merchant} data-testid="receipt-merchant">
          {receipt.merchantName}
        </p>
        <h1 className={styles.title}>{receipt.kind === 'refund' ? 'Refund receipt' : 'Receipt'}</h1>
        <p className={styles.amount}>{receipt.amountLabel}</p>
        <dl className={styles.rows}>
          {rows.map(([label, value, testId]) => (
            <div key={label} className={styles.row}>
              <dt>{label}</dt>
              <dd data-testid={testId}>{value}</dd>
            </div>
          ))}
        </dl>
        <p className="muted small">
          {receipt.kind === 'refund'
            ? 'The refund is on its way back to you; depending on your bank it can take 5-10 days to appear.'
            : `Thank you for your payment to ${receipt.merchantName}.`}
        </p>
      </article>
    </main>
  );
}
