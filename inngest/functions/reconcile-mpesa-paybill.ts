import type { Inngest } from 'inngest';
import { reconcilePaybillByPull, retryPaybillReceipts } from '@/lib/checkout/paybill';

/**
 * Every five minutes: Pull Transactions (Daraja's record of the shortcode) is read for Paybill
 * receipts paykit never got a confirmation for, and each pays its checkout session. Also keeps
 * our C2B URLs registered. Then the receipts left in between: waiting for another attempt, claimed
 * by an applier that crashed, or owed back to the payer by Reversal. Safe to repeat: a read, then
 * an apply that is once per M-Pesa receipt, and a reversal keyed by its receipt.
 */
export const defineReconcileMpesaPaybill = (inngest: Inngest) =>
  inngest.createFunction({ id: 'reconcile-mpesa-paybill', retries: 3, triggers: [{ cron: '*/5 * * * *' }] }, async ({ step }) => {
    const pulled = await step.run('pull-transactions', () => reconcilePaybillByPull());
    const retried = await step.run('retry-receipts', () => retryPaybillReceipts());
    return { pulled, retried };
  });
