import type { Inngest } from 'inngest';
import { STEPS_WITH_RESULT } from '@/inngest/checkpointing';
import { getDb } from '@/db/client';
import { outboxEventData, parseEventData } from '@/inngest/events';
import { RECEIPT_EVENT_TYPES, sendReceiptForEvent, type ReceiptEventType } from '@/lib/receipts';

/**
 * Emails the customer a receipt when a payment or a refund succeeds. Exactly-once: the receipt is
 * unique per outbox event id and leaves 'pending' once (lib/receipts), so a redelivered event or a
 * retried step finds it handled and sends nothing.
 */
export const defineSendReceipt = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'send-receipt', retries: 10, triggers: RECEIPT_EVENT_TYPES.map((event) => ({ event })), checkpointing: STEPS_WITH_RESULT },
    async ({ event, step }) => {
      const data = parseEventData(outboxEventData, event.data, event.name);
      return step.run('send-receipt', async () => {
        const result = await sendReceiptForEvent(getDb(), {
          eventId: data.eventId,
          type: event.name as ReceiptEventType,
          aggregateId: data.aggregateId,
          attemptId: data.attemptId ?? null,
        });
        return { receipt: result.receiptId, status: result.status, sentNow: result.sentNow };
      });
    },
  );
