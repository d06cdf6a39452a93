import { randomUUID } from 'node:crypto';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ActionForm } from '@/components/dashboard/action-form';
import formStyles from '@/components/dashboard/forms.module.css';
import { RefundForm } from '@/components/dashboard/refund-form';
import { StatusBadge } from '@/components/dashboard/status-badge';
import { can } from '@/lib/auth/permissions';
import { minorToMajorString } from '@/lib/dashboard/amounts';
import { getMerchantPaymentDetail } from '@/lib/dashboard/payments';
import { formatMoney } from '@/lib/money';
import { CANCELABLE_STATUSES } from '@/lib/payments/state-machine';
import { RISK_REASON_MESSAGES } from '@/lib/risk/rules';
import styles from '../../dashboard.module.css';
import { requireUser } from '../../session';
import { cancelAction, captureAction, refundAction } from './actions';

export const metadata: Metadata = { title: 'Payment' };
export const dynamic = 'force-dynamic';

function when(d: Date): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

export default async function PaymentDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const detail = await getMerchantPaymentDetail(user.merchantId, id);
  if (!detail) notFound();
  const { paymentIntent: pi, amounts, attempts, refunds, events, ledger, webhookDeliveries, checkoutSession, mpesa } = detail;
  const methodOf = (a: (typeof attempts)[number]) => {
    const m = mpesa.get(a.id);
    if (m) return `M-Pesa ${m.phone}${m.receipt ? ` (receipt ${m.receipt})` : ''}`;
    return a.card ? `${a.card.brand} •••• ${a.card.last4}` : a.paymentMethodType;
  };
  const latest = attempts.at(-1);
  const riskAttempt = [...attempts].reverse().find((a) => a.riskDecision);
  const canWrite = can(user, 'payments:write');
  const money = (minor: number) => formatMoney(minor, pi.currency);
  return (
    <>
      <p>
        <Link href="/dashboard/payments">← Payments</Link>
      </p>
      <h1>
        {money(pi.amount)} <StatusBadge status={pi.status} testId="payment-status" />
      </h1>
      <p className={styles.mono} data-testid="payment-id">
        {pi.id}
      </p>

      <section className={styles.card} aria-labelledby="amounts">
        <h2 id="amounts">Amounts</h2>
        <dl className={styles.grid}>
          <div className={styles.stat}>
            <dt>Authorized</dt>
            <dd data-testid="amount-authorized">{money(amounts.authorized)}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Captured</dt>
            <dd data-testid="amount-received">{money(amounts.captured)}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Refunded</dt>
            <dd data-testid="amount-refunded">{money(amounts.refunded)}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Held, not captured</dt>
            <dd>{money(pi.amountCapturable)}</dd>
          </div>
        </dl>
        {pi.lastPaymentError ? (
          <p className="notice notice-error">
            Last error: {pi.lastPaymentError.message} ({pi.lastPaymentError.decline_code ?? pi.lastPaymentError.code})
          </p>
        ) : null}
      </section>

      <section className={styles.card} aria-labelledby="details">
        <h2 id="details">Method and customer</h2>
        <dl className={styles.grid}>
          <div className={styles.stat}>
            <dt>Method</dt>
            <dd data-testid="payment-method">{latest ? methodOf(latest) : '—'}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Customer</dt>
            <dd data-testid="payment-customer">{pi.customerEmail ?? latest?.customerEmail ?? '—'}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Capture</dt>
            <dd>{pi.captureMethod}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Checkout session</dt>
            <dd className={styles.mono}>{checkoutSession ? `${checkoutSession.id} (${checkoutSession.status})` : '—'}</dd>
          </div>
          <div className={styles.stat}>
            <dt>Risk decision</dt>
            <dd data-testid="risk-decision">{riskAttempt?.riskDecision ?? 'not assessed'}</dd>
          </div>
        </dl>
        {riskAttempt && riskAttempt.riskReasons.length > 0 ? (
          <ul data-testid="risk-reasons">
            {riskAttempt.riskReasons.map((r) => (
              <li key={r}>{RISK_REASON_MESSAGES[r] ?? r}</li>
            ))}
          </ul>
        ) : null}
      </section>

      {canWrite ? (
        <section className={styles.card} aria-labelledby="actions" data-testid="payment-actions">
          <h2 id="actions">Actions</h2>
          {pi.status === 'requires_capture' ? (
            <>
              <h3>Capture</h3>
              <ActionForm
                action={captureAction}
                submitLabel="Capture"
                pendingLabel="Capturing…"
                successText="Captured."
                testId="capture-form"
              >
                <input type="hidden" name="paymentIntentId" value={pi.id} />
                <input type="hidden" name="clickKey" value={randomUUID()} />
                <div className={formStyles.fields}>
                  <div className={formStyles.field}>
                    <label htmlFor="capture-amount">Amount to capture ({pi.currency.toUpperCase()})</label>
                    <input
                      id="capture-amount"
                      name="amount"
                      inputMode="decimal"
                      placeholder={minorToMajorString(pi.amountCapturable, pi.currency)}
                      aria-describedby="capture-hint"
                      data-testid="capture-amount"
                    />
                    <span id="capture-hint" className={formStyles.hint}>
                      Leave empty to capture the full {money(pi.amountCapturable)}; the rest is released.
                    </span>
                  </div>
                </div>
              </ActionForm>
            </>
          ) : null}
          {CANCELABLE_STATUSES.includes(pi.status) ? (
            <>
              <h3>Cancel</h3>
              <ActionForm
                action={cancelAction}
                submitLabel="Cancel payment"
                pendingLabel="Canceling…"
                successText="Canceled."
                testId="cancel-form"
                variant="danger"
              >
                <input type="hidden" name="paymentIntentId" value={pi.id} />
                <input type="hidden" name="clickKey" value={randomUUID()} />
                <div className={formStyles.fields}>
                  <div className={formStyles.field}>
                    <label htmlFor="cancel-reason">Reason</label>
                    <select id="cancel-reason" name="reason" defaultValue="requested_by_customer">
                      <option value="requested_by_customer">Requested by customer</option>
                      <option value="duplicate">Duplicate</option>
                      <option value="fraudulent">Fraudulent</option>
                      <option value="abandoned">Abandoned</option>
                    </select>
                  </div>
                </div>
              </ActionForm>
            </>
          ) : null}
          {pi.status === 'succeeded' && amounts.refundable > 0 ? (
            <>
              <h3>Refund</h3>
              <RefundForm
                action={refundAction}
                paymentIntentId={pi.id}
                clickKey={randomUUID()}
                currency={pi.currency}
                refundableLabel={money(amounts.refundable)}
                refundableMajor={minorToMajorString(amounts.refundable, pi.currency)}
              />
            </>
          ) : null}
          {pi.status === 'succeeded' && amounts.refundable <= 0 ? (
            <p className="muted">This payment is refunded in full.</p>
          ) : null}
          {pi.status === 'canceled' ? <p className="muted">A canceled payment has no actions.</p> : null}
        </section>
      ) : null}

      <section className={styles.card} aria-labelledby="attempts">
        <h2 id="attempts">Attempts</h2>
        {attempts.length === 0 ? (
          <p className="empty-state">No payment attempts yet.</p>
        ) : (
          <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Payment attempts">
            <table className={styles.table}>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">Status</th>
                  <th scope="col">Method</th>
                  <th scope="col">PSP</th>
                  <th scope="col">Routing reason</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {attempts.map((a) => (
                  <tr key={a.id} data-testid="attempt-row">
                    <td className={styles.mono}>{a.id}</td>
                    <td>{a.status}</td>
                    <td>{methodOf(a)}</td>
                    <td>{a.psp}</td>
                    <td className={styles.wrap}>{a.routingReason ?? '—'}</td>
                    <td className={styles.wrap}>
                      {a.riskDecision ?? '—'}
                      {a.riskReasons.length > 0 ? `: ${a.riskReasons.map((r) => RISK_REASON_MESSAGES[r] ?? r).join(' ')}` : ''}
                    </td>
                    <td className={styles.wrap} data-testid="attempt-outcome">
                      {a.reversalReason
                        ? // money the PSP took after the payment was given up, and how it went back
                          a.reversalReason
                        : a.failureMessage
                        ? `${a.failureMessage} (${a.declineCode ?? a.failureCode})`
                        : a.status === 'succeeded' || a.status === 'authorized'
                          ? 'approved'
                          : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className={styles.card} aria-labelledby="refunds">
        <h2 id="refunds">Refunds</h2>
        {refunds.length === 0 ? (
          <p className="empty-state" data-testid="refunds-empty">
            No refunds.
          </p>
        ) : (
          <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Refunds of this payment">
            <table className={styles.table} data-testid="refunds-table">
              <thead>
                <tr>
                  <th scope="col">Refund</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {refunds.map((r) => (
                  <tr key={r.id} id={r.id} data-testid="refund-row">
                    <td className={styles.mono}>{r.id}</td>
                    <td className={styles.amount}>{formatMoney(r.amount, r.currency)}</td>
                    <td>
                      {r.status}
                      {r.failureReason ? ` (${r.failureReason})` : ''}
                    </td>
                    <td>{r.reason?.replaceAll('_', ' ') ?? '—'}</td>
                    <td>{when(r.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className={styles.card} aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        {events.length === 0 ? (
          <p className="empty-state">No events yet.</p>
        ) : (
          <ol className={styles.timeline} data-testid="timeline">
            {events.map((e) => (
              <li key={e.id}>
                <span className={styles.mono}>{when(e.createdAt)}</span>
                <span>{e.type}</span>
                <span className={`${styles.mono} muted`}>{e.id}</span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className={styles.card} aria-labelledby="ledger">
        <h2 id="ledger">Ledger entries</h2>
        {ledger.length === 0 ? (
          <p className="empty-state" data-testid="ledger-empty">
            Nothing posted to the ledger yet (captures post within seconds of succeeding).
          </p>
        ) : (
          <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Ledger entries of this payment">
            <table className={styles.table} data-testid="ledger-table">
              <thead>
                <tr>
                  <th scope="col">Transaction</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Account</th>
                  <th scope="col">Debit</th>
                  <th scope="col">Credit</th>
                </tr>
              </thead>
              <tbody>
                {ledger.map((l) => (
                  <tr key={l.entryId} data-testid="ledger-row">
                    <td className={styles.mono}>{l.transactionId}</td>
                    <td>{l.kind}</td>
                    <td>{l.accountKind?.replaceAll('_', ' ') ?? l.accountId}</td>
                    <td className={styles.amount}>{l.amountMinor > 0 ? formatMoney(l.amountMinor, l.currency) : ''}</td>
                    <td className={styles.amount}>{l.amountMinor < 0 ? formatMoney(-l.amountMinor, l.currency) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className={styles.card} aria-labelledby="deliveries">
        <h2 id="deliveries">Webhook deliveries</h2>
        {webhookDeliveries.length === 0 ? (
          <p className="empty-state" data-testid="payment-deliveries-empty">
            No webhook deliveries for this payment. <Link href="/dashboard/webhooks">Add an endpoint</Link> to receive its events.
          </p>
        ) : (
          <ul className={styles.plainList} data-testid="payment-deliveries">
            {webhookDeliveries.flatMap((e) =>
              e.deliveries.map((d) => {
                const last = d.attempts.at(-1);
                return (
                  <li key={d.id} data-testid="payment-delivery">
                    <span>{e.eventType}</span> → <span className={styles.mono}>{d.endpoint}</span>: <strong>{d.status}</strong>
                    {last
                      ? ` (attempt ${last.attempt}: ${last.status_code ? `HTTP ${last.status_code}` : (last.error ?? 'no response')}, ${last.latency_ms} ms)`
                      : ''}
                  </li>
                );
              }),
            )}
          </ul>
        )}
      </section>
    </>
  );
}
