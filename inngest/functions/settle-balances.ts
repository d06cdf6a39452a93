import type { Inngest } from 'inngest';
import { settlePendingBalances } from '@/lib/ledger';

/**
 * The sandbox network's daily payout (00:00 UTC): each merchant's pending balance becomes
 * available. Idempotent: one posting per merchant, currency and payout day.
 */
export const defineSettleBalances = (inngest: Inngest) =>
  inngest.createFunction({ id: 'settle-balances', retries: 5, triggers: [{ cron: '0 0 * * *' }] }, async ({ step }) => {
    const payoutDay = await step.run('payout-day', () => new Date().toISOString().slice(0, 10));
    return step.run('settle', () => settlePendingBalances(payoutDay));
  });
