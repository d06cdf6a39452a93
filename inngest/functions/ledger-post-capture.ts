import type { Inngest } from 'inngest';
import { and, eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts } from '@/db/schema';
import { outboxEventData, parseEventData } from '@/inngest/events';
import { recordCapture } from '@/lib/ledger';
import { parseCurrency } from '@/lib/money';

/**
 * Books each captured payment in the ledger (gross to merchant pending, fee to fee revenue).
 * Exactly-once effect: the journal transaction is unique per (event id, "capture") and written
 * in the same database transaction as its entries and balances, so a redelivered event is a no-op.
 */
export const defineLedgerPostCapture = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'ledger-post-capture', retries: 10, triggers: [{ event: 'payment_intent.succeeded' }] },
    async ({ event, step }) => {
      const data = parseEventData(outboxEventData, event.data, event.name);
      const object = data.object as { id?: string; amount_received?: number; currency?: string } | null;
      if (!data.merchantId || !object?.id || !object.amount_received || !object.currency)
        throw new Error(`payment_intent.succeeded ${data.eventId} lacks the payment`);
      const { id: paymentIntentId, amount_received: amountMinor, currency } = object;
      return step.run('post-capture', async () => {
        const [attempt] = await getDb()
          .select({ psp: paymentAttempts.psp })
          .from(paymentAttempts)
          .where(and(eq(paymentAttempts.paymentIntentId, paymentIntentId), eq(paymentAttempts.status, 'succeeded')));
        const result = await recordCapture(getDb(), {
          eventId: data.eventId,
          merchantId: data.merchantId!,
          paymentIntentId,
          currency: parseCurrency(currency),
          psp: attempt?.psp ?? 'sandbox_card',
          amountMinor,
        });
        return { journalTransaction: result.journalTransactionId, created: result.created };
      });
    },
  );
