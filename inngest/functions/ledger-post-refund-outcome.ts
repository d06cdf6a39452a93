import type { Inngest } from 'inngest';
import { getDb } from '@/db/client';
import { outboxEventData, parseEventData } from '@/inngest/events';
import { confirmRefund, failRefund } from '@/lib/ledger';

/**
 * Books a refund's outcome: confirmed (refunds in transit -> PSP clearing) or failed (the money
 * returns to the merchant's balance and is refundable again). Exactly-once: postings are unique
 * per (event id, kind) and written with their entries in one transaction.
 */
export const defineLedgerPostRefundOutcome = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'ledger-post-refund-outcome', retries: 10, triggers: [{ event: 'refund.succeeded' }, { event: 'refund.failed' }] },
    async ({ event, step }) => {
      const data = parseEventData(outboxEventData, event.data, event.name);
      const input = { refundId: data.aggregateId, eventId: data.eventId };
      return step.run('post-refund-outcome', async () => {
        const result = event.name === 'refund.succeeded' ? await confirmRefund(getDb(), input) : await failRefund(getDb(), input);
        return { journalTransaction: result.journalTransactionId, created: result.created };
      });
    },
  );
