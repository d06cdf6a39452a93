import type { Inngest } from 'inngest';
import { reconcilePaybillByPull } from '@/lib/checkout/paybill';

/**
 * Every five minutes: Pull Transactions (Daraja's record of the shortcode) is read for Paybill
 * receipts paykit never got a confirmation for, and each pays its checkout session. Also keeps
 * our C2B URLs registered. Safe to repeat: a read, then an apply that is once per M-Pesa receipt.
 */
export const defineReconcileMpesaPaybill = (inngest: Inngest) =>
  inngest.createFunction({ id: 'reconcile-mpesa-paybill', retries: 3, triggers: [{ cron: '*/5 * * * *' }] }, async ({ step }) =>
    step.run('pull-transactions', () => reconcilePaybillByPull()),
  );
