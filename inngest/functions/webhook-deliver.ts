import type { Inngest } from 'inngest';
import { STEPS_WITH_RESULT } from '@/inngest/checkpointing';
import { parseEventData, WEBHOOK_DELIVERY_REQUESTED, webhookDeliveryRequestedData } from '@/inngest/events';
import { attemptDelivery, markDeliveryFailed, scheduleNextAttempt } from '@/lib/webhooks/deliveries';
import { delayAfterAttempt } from '@/lib/webhooks/schedule';

// A hard stop whatever the configured schedule says.
const MAX_ATTEMPT_LIMIT = 50;

/**
 * Delivers one event to one endpoint: an attempt, then durable sleeps on the retry schedule
 * (RETRY_DELAYS_MS, up to 3 days), then gives up and disables the endpoint.
 * Idempotent: each attempt is a memoized step, and attemptDelivery does nothing once the
 * delivery has succeeded (a crash mid-attempt repeats at most that one POST).
 */
export const defineWebhookDeliver = (inngest: Inngest) =>
  inngest.createFunction(
    {
      id: 'webhook-deliver',
      retries: 3,
      triggers: [{ event: WEBHOOK_DELIVERY_REQUESTED }],
      // one endpoint's slow responses must not starve everyone else's deliveries
      concurrency: { limit: 25, key: 'event.data.merchantId' },
      // a merchant's webhook must not queue behind receipts, sweeps and other bulk work
      priority: { run: '600' },
      checkpointing: STEPS_WITH_RESULT,
    },
    async ({ event, step }) => {
      const { deliveryId } = parseEventData(webhookDeliveryRequestedData, event.data, event.name);
      for (let attempt = 1; ; attempt++) {
        const result = await step.run(`attempt-${attempt}`, () => attemptDelivery(deliveryId));
        if (result.delivered) return { delivered: true, attempts: attempt };
        if (!result.attempted) return { delivered: false, skipped: true, attempts: attempt - 1 };
        const delayMs = delayAfterAttempt(attempt);
        if (delayMs === null) break;
        await step.run(`schedule-${attempt}`, () => scheduleNextAttempt(deliveryId, new Date(Date.now() + delayMs)));
        await step.sleep(`wait-${attempt}`, delayMs);
        if (attempt >= MAX_ATTEMPT_LIMIT) break;
      }
      await step.run('give-up', () => markDeliveryFailed(deliveryId));
      return { delivered: false };
    },
  );
