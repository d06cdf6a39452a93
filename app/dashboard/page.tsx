import type { Metadata } from 'next';
import Link from 'next/link';
import { DateRangeControl } from '@/components/dashboard/date-range-control';
import { StatsTable, SuccessRateChart, VolumeChart } from '@/components/dashboard/overview-charts';
import { PaymentsTable } from '@/components/dashboard/payments-table';
import { getOverview, parseOverviewRange } from '@/lib/dashboard/overview';
import { formatMoney } from '@/lib/money';
import styles from './dashboard.module.css';
import { requireUser } from './session';

export const metadata: Metadata = { title: 'Overview' };
export const dynamic = 'force-dynamic';

export default async function OverviewPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const now = new Date();
  const range = parseOverviewRange(await searchParams, now);
  const overview = await getOverview(user.merchantId, now, range);
  const { problems } = overview;
  const problemCount = problems.deadLetters.length + problems.endpoints.length;
  return (
    <>
      <h1>Overview</h1>

      <section className={styles.card} aria-labelledby="problems-heading" data-testid="overview-problems">
        <h2 id="problems-heading">Open problems</h2>
        {problemCount === 0 ? (
          <p className="muted" data-testid="problems-none">
            Nothing needs your attention: no failed background jobs, every webhook endpoint is delivering.
          </p>
        ) : (
          <ul className={styles.plainList}>
            {problems.endpoints.map((e) => (
              <li key={e.id} data-testid="problem-endpoint">
                <span className={styles.problem}>Webhook endpoint {e.status === 'disabled' ? 'disabled' : 'failing'}:</span>{' '}
                <span className={styles.mono}>{e.url}</span>
                {e.failedDeliveries > 0
                  ? ` — ${e.failedDeliveries} failing ${e.failedDeliveries === 1 ? 'delivery' : 'deliveries'}`
                  : ''}
                {e.disabledReason ? ` — ${e.disabledReason}` : ''} <Link href="/dashboard/webhooks">Review webhooks</Link>
              </li>
            ))}
            {problems.deadLetters.map((d) => (
              <li key={d.id} data-testid="problem-dead-letter">
                <span className={styles.problem}>Failed background job:</span> {d.functionId} for {d.eventName} (
                {d.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC){' '}
                <Link href="/dashboard/webhooks#dead-letters-section">See the failure and retry</Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className={styles.card} aria-labelledby="balances-heading" data-testid="overview-balances">
        <div className={styles.sectionHead}>
          <h2 id="balances-heading">Balances</h2>
          <Link href="/dashboard/balances">All balance transactions</Link>
        </div>
        {overview.balances.length === 0 ? (
          <p className="empty-state">No balance yet: captured payments appear here within seconds.</p>
        ) : (
          <dl className={styles.grid}>
            {overview.balances.map((b) => (
              <div key={b.currency} className={styles.stat} data-testid={`overview-balance-${b.currency}`}>
                <dt>{b.currency.toUpperCase()} available / pending</dt>
                <dd>
                  {formatMoney(b.availableMinor, b.currency)}{' '}
                  <span className="muted small">/ {formatMoney(b.pendingMinor, b.currency)}</span>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      <section className={styles.card} aria-labelledby="volume-heading">
        <h2 id="volume-heading" data-testid="range-heading">
          Volume and success rate, {range.from} to {range.to} (UTC)
        </h2>
        <DateRangeControl range={range} basePath="/dashboard" />
        {overview.currencies.length === 0 ? (
          <p className="empty-state" data-testid="volume-empty">
            No captured volume from {range.from} to {range.to}.
          </p>
        ) : (
          overview.currencies.map((c) => <VolumeChart key={c} days={overview.days} currency={c} today={overview.today} />)
        )}
        <SuccessRateChart days={overview.days} today={overview.today} />
        <StatsTable days={overview.days} currencies={overview.currencies} />
      </section>

      <section className={styles.card} aria-labelledby="recent-heading">
        <div className={styles.sectionHead}>
          <h2 id="recent-heading">Recent payments</h2>
          <Link href="/dashboard/payments">All payments</Link>
        </div>
        {overview.recentPayments.length === 0 ? (
          <p className="empty-state" data-testid="payments-empty">
            No payments yet. Buy something in the <Link href="/store">storefront</Link> with the test card 4242 4242 4242 4242.
          </p>
        ) : (
          <PaymentsTable rows={overview.recentPayments} caption="Five most recent payments" />
        )}
      </section>
    </>
  );
}
