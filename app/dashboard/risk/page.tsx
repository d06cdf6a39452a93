import type { Metadata } from 'next';
import Link from 'next/link';
import { ActionForm } from '@/components/dashboard/action-form';
import formStyles from '@/components/dashboard/forms.module.css';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { Field, Fields } from '@/components/dashboard/ui/field';
import { Stat, StatGrid } from '@/components/dashboard/ui/stat-grid';
import { can } from '@/lib/auth/permissions';
import { minorToMajorString } from '@/lib/dashboard/amounts';
import { getRiskPage } from '@/lib/dashboard/risk';
import { formatMoney, SUPPORTED_CURRENCIES } from '@/lib/money';
import { RISK_REASON_MESSAGES } from '@/lib/risk';
import styles from '../dashboard.module.css';
import { requireUser } from '../session';
import { addBlocklistAction, removeBlocklistAction, saveRiskSettingsAction } from './actions';

export const metadata: Metadata = { title: 'Risk' };
export const dynamic = 'force-dynamic';

const KIND_LABELS = { card_fingerprint: 'Card fingerprint', email: 'Email', ip: 'IP address' } as const;

export default async function RiskPage() {
  const user = await requireUser();
  const { settings, entries, blocked } = await getRiskPage(user.merchantId);
  const canWrite = can(user, 'risk:write');
  const limits = [
    { name: 'maxAttemptsPerIpPerDay', label: 'Failed or blocked attempts per IP address per day', value: settings.maxAttemptsPerIpPerDay },
    { name: 'maxAttemptsPerCardPerDay', label: 'Attempts per card per day', value: settings.maxAttemptsPerCardPerDay },
    { name: 'maxAttemptsPerEmailPerDay', label: 'Attempts per email per day', value: settings.maxAttemptsPerEmailPerDay },
    { name: 'reviewThresholdPercent', label: 'Flag for review at (% of the ceiling)', value: settings.reviewThresholdPercent },
  ];
  return (
    <>
      <h1>Risk</h1>
      {!canWrite ? <p className="notice">Your role can read the risk rules; only an owner can change them.</p> : null}

      <section className={styles.card} aria-labelledby="rules-heading">
        <h2 id="rules-heading">Rules and thresholds</h2>
        <p className="small muted">
          A payment attempt is blocked when a limit is reached (counted over the last 24 hours), when the amount is above its
          currency’s ceiling, or when its card, email or IP is on the blocklist. Amounts at or above the review threshold are
          allowed but flagged.
        </p>
        <p className="small muted" data-testid="risk-ip-rule">
          The per-IP limit counts retries: attempts from the address that did not succeed (declined, failed, blocked, canceled,
          or still in progress). Successful payments do not count, so customers who share an office or mobile-carrier address
          can keep buying. A separate ceiling on all attempts per IP address, successful ones included, is set for the whole
          platform by its operator (100 a day by default). The IP address is the one the customer connected from, or, behind a
          trusted proxy, the one that proxy reports.
        </p>
        {canWrite ? (
          <ActionForm
            action={saveRiskSettingsAction}
            submitLabel="Save rules"
            pendingLabel="Saving…"
            successText="Rules saved; they apply to the next payment attempt."
            testId="risk-settings-form"
          >
            <Fields>
              {limits.map((l) => (
                <Field key={l.name} id={l.name} label={l.label}>
                  <input
                    id={l.name}
                    name={l.name}
                    type="number"
                    min={1}
                    step={1}
                    required
                    defaultValue={l.value}
                    data-testid={`risk-${l.name}`}
                  />
                </Field>
              ))}
            </Fields>
            <fieldset className={formStyles.checks}>
              <legend className={formStyles.legend}>Largest amount per payment (empty = no ceiling)</legend>
              {SUPPORTED_CURRENCIES.map((c) => (
                <Field key={c} id={`ceiling_${c}`} label={c.toUpperCase()}>
                  <input
                    id={`ceiling_${c}`}
                    name={`ceiling_${c}`}
                    inputMode="decimal"
                    defaultValue={
                      settings.amountCeilings[c] !== undefined ? minorToMajorString(settings.amountCeilings[c], c) : ''
                    }
                    data-testid={`risk-ceiling-${c}`}
                  />
                </Field>
              ))}
            </fieldset>
          </ActionForm>
        ) : (
          <StatGrid testId="risk-settings">
            {limits.map((l) => (
              <Stat key={l.name} label={l.label}>
                {l.value}
              </Stat>
            ))}
            {SUPPORTED_CURRENCIES.map((c) => (
              <Stat key={c} label={`Ceiling ${c.toUpperCase()}`}>
                {settings.amountCeilings[c] !== undefined ? formatMoney(settings.amountCeilings[c], c) : 'none'}
              </Stat>
            ))}
          </StatGrid>
        )}
      </section>

      <section className={styles.card} aria-labelledby="blocklist-heading">
        <h2 id="blocklist-heading">Blocklist</h2>
        {entries.length === 0 ? (
          <p className="empty-state" data-testid="blocklist-empty">
            The blocklist is empty.
          </p>
        ) : (
          <DataTable
            caption="Blocked cards, emails and IP addresses"
            testId="blocklist"
            rows={entries}
            rowKey={(e) => e.id}
            rowProps={() => ({ 'data-testid': 'blocklist-entry' })}
            columns={[
              { header: 'Kind', cell: (e) => KIND_LABELS[e.kind] },
              { header: 'Value', kind: 'mono', cell: (e) => e.value },
              { header: 'Reason', kind: 'wrap', cell: (e) => e.reason ?? '—' },
              { header: 'Added', kind: 'nowrap', cell: (e) => e.createdAt.toISOString().slice(0, 10) },
              ...(canWrite
                ? [
                    {
                      header: 'Remove',
                      cell: (e: (typeof entries)[number]) => (
                        <ActionForm
                          action={removeBlocklistAction}
                          submitLabel="Remove"
                          pendingLabel="Removing…"
                          variant="secondary"
                          testId="remove-blocklist-form"
                        >
                          <input type="hidden" name="entryId" value={e.id} />
                        </ActionForm>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
        {canWrite ? (
          <>
            <h3>Add to the blocklist</h3>
            <ActionForm
              action={addBlocklistAction}
              submitLabel="Add"
              pendingLabel="Adding…"
              successText="Added."
              testId="add-blocklist-form"
            >
              <Fields>
                <Field id="bl-kind" label="Kind">
                  <select id="bl-kind" name="kind" defaultValue="email" data-testid="blocklist-kind">
                    <option value="email">Email</option>
                    <option value="ip">IP address</option>
                    <option value="card_fingerprint">Card fingerprint</option>
                  </select>
                </Field>
                <Field id="bl-value" label="Value">
                  <input id="bl-value" name="value" required data-testid="blocklist-value" />
                </Field>
                <Field id="bl-reason" label="Reason (optional)">
                  <input id="bl-reason" name="reason" maxLength={200} />
                </Field>
              </Fields>
            </ActionForm>
          </>
        ) : null}
      </section>

      <section className={styles.card} aria-labelledby="blocked-heading">
        <h2 id="blocked-heading">Recently blocked attempts</h2>
        {blocked.length === 0 ? (
          <p className="empty-state" data-testid="blocked-empty">
            No blocked attempts.
          </p>
        ) : (
          <DataTable
            caption="Payment attempts the risk rules blocked, newest first"
            testId="blocked-attempts"
            rows={blocked}
            rowKey={(b) => b.id}
            rowProps={() => ({ 'data-testid': 'blocked-attempt' })}
            columns={[
              { header: 'Time', kind: 'nowrap', cell: (b) => `${b.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` },
              { header: 'Amount', kind: 'amount', cell: (b) => formatMoney(b.amount, b.currency) },
              {
                header: 'Customer',
                kind: 'wrap',
                cell: (b) =>
                  [b.customerEmail, b.customerIp, b.card ? `${b.card.brand} •••• ${b.card.last4} (${b.card.fingerprint})` : null]
                    .filter(Boolean)
                    .join(' · ') || '—',
              },
              { header: 'Why', kind: 'wrap', cell: (b) => b.reasons.map((r) => RISK_REASON_MESSAGES[r] ?? r).join(' ') },
              {
                header: 'Payment',
                kind: 'mono',
                cell: (b) => <Link href={`/dashboard/payments/${b.paymentIntentId}`}>{b.paymentIntentId}</Link>,
              },
            ]}
          />
        )}
      </section>
    </>
  );
}
