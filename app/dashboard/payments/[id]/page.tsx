import { randomUUID } from 'node:crypto';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ActionForm } from '@/components/dashboard/action-form';
import formStyles from '@/components/dashboard/forms.module.css';
import { RefundForm } from '@/components/dashboard/refund-form';
import { StatusBadge } from '@/components/dashboard/status-badge';
import { SettlementPanel } from '@/components/dashboard/settlement-panel';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { Stat, StatGrid } from '@/components/dashboard/ui/stat-grid';
import { can } from '@/lib/auth/permissions';
import { minorToMajorString } from '@/lib/dashboard/amounts';
import { getMerchantPaymentDetail } from '@/lib/dashboard/payments';
import { getPaymentSettlement } from '@/lib/reconciliation';
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
  const {
    paymentIntent: pi,
    amounts,
    attempts,
    refunds,
    events,
    ledger,
    webhookDeliveries,
    checkoutSession,
    mpesa,
    display,
    disputes,
  } = detail;
  const methodOf = (a: (typeof attempts)[number]) => {
    const m = mpesa.get(a.id);
    if (m) return `M-Pesa ${m.phone}${m.receipt ? ` (receipt ${m.receipt})` : ''}`;
    return a.card ? `${a.card.brand} •••• ${a.card.last4}` : a.paymentMethodType;
  };
  const latest = attempts.at(-1);
  // the PSP's last error is history once a later attempt went through: show it only while it is the outcome
  const showLastError = pi.lastPaymentError && (pi.status === 'requires_payment_method' || latest?.status === 'failed');
  const riskAttempt = [...attempts].reverse().find((a) => a.riskDecision);
  const canWrite = can(user, 'payments:write');
  const money = (minor: number) => formatMoney(minor, pi.currency);
  return (
    <>
      <p>
        <Link href="/dashboard/payments">← Payments</Link>
      </p>
      <h1>
        {money(pi.amount)} <StatusBadge status={pi.status} display={display} testId="payment-status" />
      </h1>
      <p className="muted" data-testid="payment-status-meaning">
        {display.meaning}
      </p>
      <p className={styles.mono} data-testid="payment-id">
        {pi.id}
      </p>

      <section className={styles.card} aria-labelledby="amounts">
        <h2 id="amounts">Amounts</h2>
        <StatGrid>
          <Stat label="Authorized" testId="amount-authorized">
            {money(amounts.authorized)}
          </Stat>
          <Stat label="Captured" testId="amount-received">
            {money(amounts.captured)}
          </Stat>
          <Stat label="Refunded" testId="amount-refunded">
            {money(amounts.refunded)}
          </Stat>
          <Stat label="Held, not captured">{money(pi.amountCapturable)}</Stat>
        </StatGrid>
        {showLastError && pi.lastPaymentError ? (
          <p className="notice notice-error" data-testid="payment-last-error">
            Last error: {pi.lastPaymentError.message} ({pi.lastPaymentError.decline_code ?? pi.lastPaymentError.code})
          </p>
        ) : null}
      </section>

      <section className={styles.card} aria-labelledby="details">
        <h2 id="details">Method and customer</h2>
        <StatGrid testId="payment-method-row">
          <Stat label="Method" testId="payment-method">
            {latest ? methodOf(latest) : '—'}
          </Stat>
          <Stat label="Customer" testId="payment-customer">
            {pi.customerEmail ?? latest?.customerEmail ?? '—'}
          </Stat>
          <Stat label="Capture">{pi.captureMethod}</Stat>
          <Stat label="Checkout session" mono>
            {checkoutSession ? `${checkoutSession.id} (${checkoutSession.status})` : '—'}
          </Stat>
          <Stat label="Risk decision" testId="risk-decision">
            {riskAttempt?.riskDecision ?? 'not assessed'}
          </Stat>
        </StatGrid>
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
          <DataTable
            caption="Payment attempts"
            rows={attempts}
            rowKey={(a) => a.id}
            rowProps={(a) => ({ 'data-testid': 'attempt-row', 'data-attempt-status': a.status })}
            testId="attempts-table"
            columns={[
              { header: 'Attempt', kind: 'mono', cell: (a) => a.id },
              { header: 'Status', cell: (a) => <StatusBadge status={a.status} /> },
              { header: 'Method', cell: (a) => methodOf(a) },
              { header: 'PSP', cell: (a) => a.psp },
              { header: 'Routing reason', kind: 'wrap', cell: (a) => a.routingReason ?? '—' },
              {
                header: 'Risk',
                kind: 'wrap',
                cell: (a) =>
                  `${a.riskDecision ?? '—'}${a.riskReasons.length > 0 ? `: ${a.riskReasons.map((r) => RISK_REASON_MESSAGES[r] ?? r).join(' ')}` : ''}`,
              },
              {
                header: 'Outcome',
                kind: 'wrap',
                testId: 'attempt-outcome',
                cell: (a) =>
                  a.reversalReason
                    ? // money the PSP took after the payment was given up, and how it went back
                      a.reversalReason
                    : a.failureMessage
                      ? `${a.failureMessage} (${a.declineCode ?? a.failureCode})`
                      : a.status === 'succeeded' || a.status === 'authorized'
                        ? 'approved'
                        : '—',
              },
            ]}
          />
        )}
      </section>

      <section className={styles.card} aria-labelledby="refunds">
        <h2 id="refunds">Refunds</h2>
        {refunds.length === 0 ? (
          <p className="empty-state" data-testid="refunds-empty">
            No refunds.
          </p>
        ) : (
          <DataTable
            caption="Refunds of this payment"
            rows={refunds}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ id: r.id, 'data-testid': 'refund-row' })}
            testId="refunds-table"
            columns={[
              { header: 'Refund', kind: 'mono', cell: (r) => r.id },
              { header: 'Amount', kind: 'amount', cell: (r) => formatMoney(r.amount, r.currency) },
              { header: 'Status', cell: (r) => `${r.status}${r.failureReason ? ` (${r.failureReason})` : ''}` },
              { header: 'Reason', cell: (r) => r.reason?.replaceAll('_', ' ') ?? '—' },
              // the PSP's id of the refund: for M-Pesa, the receipt of the reversal or payout
              { header: 'PSP reference', kind: 'mono', cell: (r) => (r.status === 'succeeded' && r.pspReference) || '—' },
              { header: 'Created', cell: (r) => when(r.createdAt) },
            ]}
          />
        )}
      </section>

      <section className={styles.card} aria-labelledby="settlement" data-testid="payment-settlement">
        <h2 id="settlement">Settlement</h2>
        <SettlementPanel settlement={await getPaymentSettlement(user.merchantId, id)} />
      </section>

      <section className={styles.card} aria-labelledby="disputes" data-testid="payment-disputes">
        <h2 id="disputes">Disputes</h2>
        {disputes.length === 0 ? (
          <p className="empty-state" data-testid="disputes-empty">
            No disputes. If the customer’s bank opens a chargeback, it appears here and under{' '}
            <Link href="/dashboard/disputes">Disputes</Link>.
          </p>
        ) : (
          <DataTable
            caption="Disputes of this payment"
            rows={disputes}
            rowKey={(d) => d.id}
            rowProps={() => ({ 'data-testid': 'payment-dispute-row' })}
            columns={[
              { header: 'Dispute', kind: 'mono', cell: (d) => d.pspDisputeId },
              { header: 'Amount', kind: 'amount', cell: (d) => formatMoney(d.amount, d.currency) },
              { header: 'Reason', cell: (d) => d.reason.replaceAll('_', ' ') },
              { header: 'Status', cell: (d) => <StatusBadge status={d.status} /> },
              { header: 'Opened', cell: (d) => when(d.disputedAt) },
            ]}
          />
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
          <DataTable
            caption="Ledger entries of this payment"
            rows={ledger}
            rowKey={(l) => l.entryId}
            rowProps={() => ({ 'data-testid': 'ledger-row' })}
            testId="ledger-table"
            columns={[
              { header: 'Transaction', kind: 'mono', cell: (l) => l.transactionId },
              { header: 'Kind', cell: (l) => l.kind },
              { header: 'Account', cell: (l) => l.accountKind?.replaceAll('_', ' ') ?? l.accountId },
              { header: 'Debit', kind: 'amount', cell: (l) => (l.amountMinor > 0 ? formatMoney(l.amountMinor, l.currency) : '') },
              {
                header: 'Credit',
                kind: 'amount',
                cell: (l) => (l.amountMinor < 0 ? formatMoney(-l.amountMinor, l.currency) : ''),
              },
            ]}
          />
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
