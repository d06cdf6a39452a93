import type { Inngest } from 'inngest';
import { settleDueRuns } from '@/lib/reconciliation';

/**
 * Every hour: matched settlement lines whose available date has come move exactly their amounts
 * from the merchant's pending balance to available (reconciliation settles what it can when it
 * runs; this picks up lines that became available later). Nothing the PSP has not reported as
 * settled ever moves. Idempotent: each PSP line is settled once (settlement_items' key).
 */
export const defineSettleBalances = (inngest: Inngest) =>
  inngest.createFunction({ id: 'settle-balances', retries: 5, triggers: [{ cron: '15 * * * *' }] }, async ({ step }) => {
    return step.run('settle-due-lines', () => settleDueRuns());
  });
