import type { Metadata } from 'next';
import Link from 'next/link';
import { randomUUID } from 'node:crypto';
import { ActionForm } from '@/components/dashboard/action-form';
import formStyles from '@/components/dashboard/forms.module.css';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { can } from '@/lib/auth/permissions';
import { formatMoney, type Currency } from '@/lib/money';
import { getPayoutSettings, listPayoutsPage, TEST_BANK_ACCOUNT_LAST4 } from '@/lib/payouts';
import { getBalances } from '@/lib/wallet';
import styles from '../dashboard.module.css';
import { requirePermission } from '../guard';
import { payOutNowAction, savePayoutSettingsAction } from './actions';

export const metadata: Metadata = { title: 'Payouts' };
export const dynamic = 'force-dynamic';

const STATUS_LABELS = { in_transit: 'In transit', paid: 'Paid', failed: 'Failed' } as const;
const INTERVAL_LABELS = { daily: 'Daily', weekly: 'Weekly (Mondays)', manual: 'Manual' } as const;

export default async function PayoutsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requirePermission('dashboard:read');
  const before = (await searchParams).before;
  const cursor = before && /^po_[0-9A-Za-z]+$/.test(before) ? before : undefined;
  const [{ rows, nextCursor }, settings, balances] = await Promise.all([
    listPayoutsPage(user.merchantId, { before: cursor }),
    getPayoutSettings(user.merchantId),
    getBalances(user.merchantId),
  ]);
  const canSetUp = can(user, 'settings:write');
  const canPayOut = can(user, 'payments:write') && settings.interval === 'manual';
  const payable = balances.filter((b) => b.availableMinor > 0);
  return (
    <>
      <h1>Payouts</h1>
      <section className={styles.card} aria-labelledby="payouts-heading">
        <h2 id="payouts-heading">{cursor ? 'Older payouts' : 'Payouts to your bank'}</h2>
        <p className="muted">
          Your available balance is paid to the bank account ending {settings.bankAccountLast4 ?? TEST_BANK_ACCOUNT_LAST4} ({INTERVAL_LABELS[settings.interval].toLowerCase()}). Each payout lists the
          payments, fees and refunds it contains.
        </p>
        {rows.length === 0 ? (
          <p className="empty-state" data-testid="payouts-empty">
            {cursor ? 'No older payouts.' : 'No payouts yet: settled money becomes available and is paid out on your schedule.'}
          </p>
        ) : (
          <DataTable
            caption="Payouts, newest first"
            testId="payouts-table"
            rows={rows}
            rowKey={(p) => p.id}
            rowProps={(p) => ({ 'data-testid': 'payout-row', 'data-payout-id': p.id, 'data-status': p.status })}
            columns={[
              { header: 'Created', cell: (p) => `${p.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` },
              { header: 'Amount', kind: 'amount', cell: (p) => formatMoney(p.amountMinor, p.currency as Currency) },
              { header: 'Status', cell: (p) => STATUS_LABELS[p.status] },
              { header: 'Bank account', cell: (p) => `•••• ${p.bankAccountLast4 ?? TEST_BANK_ACCOUNT_LAST4}` },
              {
                header: 'Payout',
                kind: 'mono',
                cell: (p) => (
                  <Link href={`/dashboard/payouts/${p.id}`} data-testid="payout-link">
                    {p.id}
                  </Link>
                ),
              },
            ]}
          />
        )}
        <nav className={styles.pager} aria-label="Payout pages">
          {cursor ? <Link href="/dashboard/payouts">← Newest</Link> : null}
          {nextCursor ? (
            <Link href={`/dashboard/payouts?before=${nextCursor}`} data-testid="payouts-next">
              Older →
            </Link>
          ) : null}
        </nav>
      </section>

      {canPayOut && payable.length > 0 ? (
        <section className={styles.card} aria-labelledby="pay-out-heading">
          <h2 id="pay-out-heading">Pay out now</h2>
          {payable.map((b) => (
            <ActionForm key={b.currency} action={payOutNowAction} submitLabel={`Pay out ${formatMoney(b.availableMinor, b.currency)}`} pendingLabel="Paying out…" testId={`pay-out-${b.currency}`}>
              <input type="hidden" name="currency" value={b.currency} />
              {/* one key per rendering: a double submit pays out once */}
              <input type="hidden" name="requestKey" value={randomUUID()} />
            </ActionForm>
          ))}
        </section>
      ) : null}

      <section className={styles.card} aria-labelledby="payout-settings-heading">
        <h2 id="payout-settings-heading">Schedule and bank account</h2>
        {canSetUp ? (
          <ActionForm action={savePayoutSettingsAction} submitLabel="Save" pendingLabel="Saving…" successText="Payout settings saved." testId="payout-settings-form">
            <div className={formStyles.fields}>
              <div className={formStyles.field}>
                <label htmlFor="payout-interval">Schedule</label>
                <select id="payout-interval" name="interval" defaultValue={settings.interval} data-testid="payout-interval">
                  {Object.entries(INTERVAL_LABELS).map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
              <div className={formStyles.field}>
                <label htmlFor="payout-holder">Account holder (test data)</label>
                <input id="payout-holder" name="bankAccountHolder" defaultValue={settings.bankAccountHolder ?? ''} maxLength={120} />
              </div>
              <div className={formStyles.field}>
                <label htmlFor="payout-last4">Account number, last four digits (test data)</label>
                <input id="payout-last4" name="bankAccountLast4" inputMode="numeric" pattern="\d{4}" defaultValue={settings.bankAccountLast4 ?? ''} />
              </div>
            </div>
          </ActionForm>
        ) : (
          <p data-testid="payout-settings">
            {INTERVAL_LABELS[settings.interval]} payouts to the account ending {settings.bankAccountLast4 ?? TEST_BANK_ACCOUNT_LAST4}.
          </p>
        )}
      </section>
    </>
  );
}
