import type { Metadata } from 'next';
import { Stat, StatGrid } from '@/components/dashboard/ui/stat-grid';
import { getConsoleOverview } from '@/lib/admin/overview';
import styles from '../dashboard/dashboard.module.css';
import { requireOperator } from './guard';

export const metadata: Metadata = { title: 'Overview' };
export const dynamic = 'force-dynamic';

export default async function AdminOverviewPage() {
  await requireOperator();
  const o = await getConsoleOverview();
  return (
    <>
      <h1>Operator console</h1>
      <section className={styles.card} aria-labelledby="overview-heading">
        <h2 id="overview-heading">Platform at a glance</h2>
        <StatGrid testId="admin-overview">
          <Stat label="Merchants" testId="overview-merchants">
            {o.merchants}
          </Stat>
          <Stat label="Payment attempts (24 h)" testId="overview-attempts">
            {o.attempts24h}
          </Stat>
          <Stat label="Failed attempts (24 h)" testId="overview-failed-attempts">
            {o.failedAttempts24h}
          </Stat>
          <Stat label="Open dead letters" testId="overview-dead-letters">
            {o.openDeadLetters}
          </Stat>
          <Stat label="Payouts in transit" testId="overview-payouts-in-transit">
            {o.payoutsInTransit}
          </Stat>
          <Stat label="Active operators" testId="overview-operators">
            {o.operators}
          </Stat>
        </StatGrid>
      </section>
    </>
  );
}
