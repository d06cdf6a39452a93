import type { Inngest, InngestFunction } from 'inngest';
import { inngest } from './client';
import { defineApplyPspCallback } from './functions/apply-psp-callback';
import { defineSweepPspInbox } from './functions/sweep-psp-inbox';
import { defineLedgerPostCapture } from './functions/ledger-post-capture';
import { defineLedgerPostRefundOutcome } from './functions/ledger-post-refund-outcome';
import { defineRetryPendingRefunds } from './functions/retry-pending-refunds';
import { defineSendReceipt } from './functions/send-receipt';
import { defineSettleBalances } from './functions/settle-balances';
import { defineExpireCheckoutSessions } from './functions/expire-checkout-sessions';
import { defineRecordDeadLetter } from './functions/record-dead-letter';
import { defineResolvePendingPayment } from './functions/resolve-pending-payment';
import { defineReverseLateSuccesses } from './functions/reverse-late-successes';
import { defineRecoverStrandedAttempts } from './functions/recover-stranded-attempts';
import { defineWebhookDeliver } from './functions/webhook-deliver';
import { defineWebhookFanOut } from './functions/webhook-fan-out';
import { defineReconcileMpesaPaybill } from './functions/reconcile-mpesa-paybill';
import { defineReconcileDaily } from './functions/reconcile-daily';
import { defineReconcileRequested } from './functions/reconcile-requested';
import { definePayoutsRun } from './functions/payouts-run';

/**
 * Every Inngest function the app serves, one per file under inngest/functions/. Each file exports
 * a factory taking the client, so tests can bind the same functions to a test client.
 */
export function defineFunctions(client: Inngest): InngestFunction.Any[] {
  return [
    ...defineWebhookFanOut(client),
    defineWebhookDeliver(client),
    defineApplyPspCallback(client),
    defineSweepPspInbox(client),
    defineResolvePendingPayment(client),
    defineReverseLateSuccesses(client),
    defineRecoverStrandedAttempts(client),
    defineExpireCheckoutSessions(client),
    defineLedgerPostCapture(client),
    defineLedgerPostRefundOutcome(client),
    defineRetryPendingRefunds(client),
    defineSettleBalances(client),
    defineRecordDeadLetter(client),
    defineSendReceipt(client),
    defineReconcileMpesaPaybill(client),
    defineReconcileDaily(client),
    defineReconcileRequested(client),
    definePayoutsRun(client),
  ];
}

export const functions: InngestFunction.Any[] = defineFunctions(inngest);
