import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getMerchantPaymentDetail } from '@/lib/dashboard/payments';
import { formatMoney } from '@/lib/money';
import { RISK_REASON_MESSAGES } from '@/lib/risk/rules';
import styles from '../../dashboard.module.css';
import { requireUser } from '../../session';

export const metadata: Metadata = { title: 'Payment' };
export const dynamic = 'force-dynamic';

export default async function PaymentDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const detail = await getMerchantPaymentDetail(user.merchantId, id);
  if (!detail) notFound();
  const { paymentIntent: pi, attempts, events, checkoutSession } = detail;
  return (
    <>
      <p>
        <Link href="/dashboard">← Payments</Link>
      </p>
      <h1>
        {formatMoney(pi.amount, pi.currency)}{' '}
        <span className={`${styles.badge} ${styles[`badge_${pi.status}`] ?? ''}`} data-testid="payment-status">
          {pi.status.replaceAll('_', ' ')}
        </span>
      </h1>
      <p className={styles.mono}>{pi.id}</p>
      <section className={styles.card} aria-labelledby="amounts">
        <h2 id="amounts">Amounts</h2>
        <dl className={styles.grid}>
          <div className={styles.stat}>
            <dt>Amount</dt>
            <dd>{formatMoney(pi.amount, pi.currency)}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Authorized, not captured</dt>
            <dd>{formatMoney(pi.amountCapturable, pi.currency)}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Captured</dt>
            <dd data-testid="amount-received">{formatMoney(pi.amountReceived, pi.currency)}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Capture</dt>
            <dd>{pi.captureMethod}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Customer</dt>
            <dd>{pi.customerEmail ?? '—'}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Checkout session</dt>
            <dd className={styles.mono}>{checkoutSession ? `${checkoutSession.id} (${checkoutSession.status})` : '—'}</dd>
          </div>
        </dl>
        {pi.lastPaymentError ? (
          <p className="notice notice-error">
            Last error: {pi.lastPaymentError.message} ({pi.lastPaymentError.decline_code ?? pi.lastPaymentError.code})
          </p>
        ) : null}
      </section>
      <section className={styles.card} aria-labelledby="attempts">
        <h2 id="attempts">Attempts</h2>
        {attempts.length === 0 ? (
          <p className="empty-state">No payment attempts yet.</p>
        ) : (
          <div className={styles.tableWrap}>
            <table className={styles.table}>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">Status</th>
                  <th scope="col">Card</th>
                  <th scope="col">PSP and routing</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {attempts.map((a) => (
                  <tr key={a.id} data-testid="attempt-row">
                    <td className={styles.mono}>{a.id}</td>
                    <td>{a.status}</td>
                    <td>{a.card ? `${a.card.brand} •••• ${a.card.last4}` : '—'}</td>
                    <td title={a.routingReason ?? undefined}>{a.psp}</td>
                    <td>
                      {a.riskDecision ?? '—'}
                      {a.riskReasons.length > 0 ? `: ${a.riskReasons.map((r) => RISK_REASON_MESSAGES[r] ?? r).join(' ')}` : ''}
                    </td>
                    <td>{a.failureMessage ? `${a.failureMessage} (${a.declineCode ?? a.failureCode})` : a.status === 'succeeded' || a.status === 'authorized' ? 'approved' : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className={styles.card} aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ol className={styles.timeline} data-testid="timeline">
          {events.map((e) => (
            <li key={e.id}>
              <span className={styles.mono}>{e.createdAt.toISOString().replace('T', ' ').slice(0, 19)}</span>
              <span>{e.type}</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
