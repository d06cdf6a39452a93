import type { Inngest } from 'inngest';
import { getDb } from '@/db/client';
import { outboxEventData, parseEventData } from '@/inngest/events';
import { ensureCapturePosted } from '@/lib/ledger';

/**
 * Books each captured payment in the ledger (gross to merchant pending, fee to fee revenue), from
 * the outbox row of the event (lib/ledger ensureCapturePosted, which refunds share).
 * Exactly-once effect: the journal transaction is unique per (event id, "capture") and written
 * in the same database transaction as its entries and balances, so a redelivered event is a no-op.
 */
export const defineLedgerPostCapture = (inngest: Inngest) =>
  inngest.createFunction(
    // balances are a target too (posted within a second): ahead of receipts and bulk work
    { id: 'ledger-post-capture', retries: 10, triggers: [{ event: 'payment_intent.succeeded' }], priority: { run: '600' } },
    async ({ event, step }) => {
      const data = parseEventData(outboxEventData, event.data, event.name);
      const object = data.object as { id?: string; amount_received?: number; currency?: string } | null;
      if (!data.merchantId || !object?.id || !object.amount_received || !object.currency)
        throw new Error(`payment_intent.succeeded ${data.eventId} lacks the payment`);
      return step.run('post-capture', async () => {
        const result = await ensureCapturePosted(getDb(), data.eventId);
        return { journalTransaction: result.journalTransactionId, created: result.created };
      });
    },
  );
