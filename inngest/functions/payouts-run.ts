import type { Inngest } from 'inngest';
import { runScheduledPayouts } from '@/lib/payouts';

/**
 * The payout cron (01:00 UTC, after the 00:00 settlement): each merchant on a daily or weekly
 * schedule is paid its available balance, then payouts due at the bank are booked paid. Safe to
 * run twice or concurrently: one payout per (merchant, currency, period), taken under the wallet
 * lock, and a paid payout is never paid again.
 */
export const definePayoutsRun = (inngest: Inngest) =>
  inngest.createFunction({ id: 'payouts-run', retries: 5, triggers: [{ cron: '0 1 * * *' }] }, async ({ step }) => {
    const now = await step.run('run-at', () => new Date().toISOString());
    return step.run('pay-out', () => runScheduledPayouts(new Date(now)));
  });
