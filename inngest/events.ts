import { z } from 'zod';
import { EVENT_TYPES } from '@/lib/events/outbox';

/**
 * The events our functions consume, with zod schemas checked at the top of each function.
 * Outbox events keep their type as the event name and the outbox row id as the event id, so a
 * re-sent row is deduplicated by the engine (24 h).
 */
export const OUTBOX_EVENT_NAMES = EVENT_TYPES;

export const outboxEventData = z.object({
  eventId: z.string().startsWith('evt_'),
  merchantId: z.string().nullable(),
  aggregateType: z.string(),
  aggregateId: z.string(),
  /** Set for payment_intent.* events, so waits can match on it. */
  paymentIntentId: z.string().nullable(),
  attemptId: z.string().nullable().optional(),
  object: z.record(z.string(), z.unknown()).nullable(),
  /** Set by relays before the relay fanned out itself: the legacy webhook-fan-out filters on it. */
  webhookSubscribed: z.boolean().optional(),
});
export type OutboxEventData = z.infer<typeof outboxEventData>;

export { WEBHOOK_DELIVERY_REQUESTED } from '@/lib/webhooks/deliveries';
export const webhookDeliveryRequestedData = z.object({
  deliveryId: z.string().startsWith('whd_'),
  merchantId: z.string(),
});

export const PSP_CALLBACK_RECEIVED = 'psp/callback.received';
export const pspCallbackReceivedData = z.object({ inboxId: z.string(), psp: z.string() });

/** Sent after a PSP callback has been applied; payment waits match it on paymentIntentId. */
export const PSP_CALLBACK_APPLIED = 'psp/callback.applied';
export const pspCallbackAppliedData = z.object({ paymentIntentId: z.string(), attemptId: z.string(), status: z.string() });

export function parseEventData<S extends z.ZodType>(schema: S, data: unknown, eventName: string): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new Error(`Malformed ${eventName} event: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

/**
 * The system event real Inngest (and the embedded engine, with the same payload) sends when a run
 * fails for good. The dead-letter recorder consumes it.
 */
export const FUNCTION_FAILED = 'inngest/function.failed';
export const functionFailedData = z.object({
  function_id: z.string().min(1),
  run_id: z.string().min(1),
  error: z.record(z.string(), z.unknown()),
  event: z.record(z.string(), z.unknown()),
  /** A batch run's events (batchEvents), the first of which is `event`. */
  events: z.array(z.record(z.string(), z.unknown())).optional(),
});

/** The operator console asks for a reconciliation run of one PSP's day now. */
export const RECONCILIATION_REQUESTED = 'reconciliation/run.requested';
export const reconciliationRequestedData = z.object({ psp: z.string().min(1), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });
