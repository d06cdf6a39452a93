import type { Inngest } from 'inngest';
import { STEPS_WITH_RESULT } from '@/inngest/checkpointing';
import { OUTBOX_EVENT_NAMES, outboxEventData, parseEventData, WEBHOOK_DELIVERY_REQUESTED } from '@/inngest/events';
import { fanOutEvent } from '@/lib/webhooks/deliveries';

/**
 * Every merchant event becomes one delivery per subscribed endpoint.
 * Idempotent: deliveries are unique per (event, endpoint), and each delivery request carries the
 * delivery id as its event id, so a re-run neither adds deliveries nor starts a second one.
 */
// Inngest allows at most 10 triggers per function, so the event types are split across copies.
const MAX_TRIGGERS = 10;

export const defineWebhookFanOut = (inngest: Inngest) =>
  Array.from({ length: Math.ceil(OUTBOX_EVENT_NAMES.length / MAX_TRIGGERS) }, (_, i) =>
    defineFanOutPart(
      inngest,
      i === 0 ? 'webhook-fan-out' : `webhook-fan-out-${i + 1}`,
      OUTBOX_EVENT_NAMES.slice(i * MAX_TRIGGERS, (i + 1) * MAX_TRIGGERS),
    ),
  );

// First in line (priority), with the deliveries it starts: webhook lag is a target, bulk work is not.
// The relay marks events some endpoint wants; the others (most payment_intent.created, every event
// of a merchant without endpoints) start no run at all.
const defineFanOutPart = (inngest: Inngest, id: string, eventNames: readonly string[]) =>
  inngest.createFunction(
    {
      id,
      retries: 5,
      triggers: eventNames.map((name) => ({ event: name, if: 'event.data.webhookSubscribed == true' })),
      priority: { run: '600' },
      checkpointing: STEPS_WITH_RESULT,
    },
    async ({ event, step }) => {
      const data = parseEventData(outboxEventData, event.data, event.name);
      if (!data.merchantId) return { deliveries: 0 };
      const deliveryIds = await step.run('create-deliveries', () => fanOutEvent(data.eventId));
      if (deliveryIds.length > 0) {
        await step.sendEvent(
          'request-deliveries',
          deliveryIds.map((deliveryId) => ({
            id: `delivery-${deliveryId}`,
            name: WEBHOOK_DELIVERY_REQUESTED,
            data: { deliveryId, merchantId: data.merchantId! },
          })),
        );
      }
      return { deliveries: deliveryIds.length };
    },
  );
