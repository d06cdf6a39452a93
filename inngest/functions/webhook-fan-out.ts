import type { Inngest } from 'inngest';
import { STEPS_WITH_RESULT } from '@/inngest/checkpointing';
import { OUTBOX_EVENT_NAMES, outboxEventData, parseEventData } from '@/inngest/events';
import { deliveryRequestedEvent, fanOutEvent } from '@/lib/webhooks/deliveries';

/**
 * The fan-out of events relayed before the relay did it itself (lib/events/relay.ts): an older
 * relay marked the events some endpoint wanted with `webhookSubscribed` and left the deliveries to
 * this function, so the events of an upgrade's backlog still start it; the relay now creates and
 * requests the deliveries and never sets the mark, so new events start no run here.
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
          deliveryIds.map((id) => deliveryRequestedEvent({ id, merchantId: data.merchantId! })),
        );
      }
      return { deliveries: deliveryIds.length };
    },
  );
