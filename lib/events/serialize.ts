import { and, eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { webhookDeliveries, type OutboxEvent } from '@/db/schema';
import { STRIPE_API_VERSION } from '@/lib/http/stripe-version';

/**
 * The event object merchants receive by webhook and read from GET /v1/events, in Stripe's shape:
 * `data.object` is the object as the API returned it when the event happened (plus our own
 * `data.previous_status` on payment_intent events, kept for receivers that read it),
 * `pending_webhooks` the deliveries not yet acknowledged, `request` the API request that caused it.
 */
export function serializeEvent(e: OutboxEvent, pendingWebhooks: number) {
  return {
    id: e.id,
    object: 'event' as const,
    api_version: STRIPE_API_VERSION,
    created: Math.floor(e.createdAt.getTime() / 1000),
    data: e.data,
    // paykit has no live mode of its own: a live install runs against real PSPs with test-shaped keys
    livemode: false,
    pending_webhooks: pendingWebhooks,
    request: { id: e.requestId, idempotency_key: e.requestIdempotencyKey },
    type: e.type,
  };
}

export type EventObject = ReturnType<typeof serializeEvent>;

/** How many deliveries of each event are still waiting for a 2xx (Stripe's pending_webhooks). */
export async function pendingWebhookCounts(eventIds: string[]): Promise<Map<string, number>> {
  if (eventIds.length === 0) return new Map();
  const rows = await getDb()
    .select({ eventId: webhookDeliveries.eventId, pending: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(and(inArray(webhookDeliveries.eventId, eventIds), eq(webhookDeliveries.status, 'pending')))
    .groupBy(webhookDeliveries.eventId);
  return new Map(rows.map((r) => [r.eventId, r.pending]));
}

/** Serializes events with their pending_webhooks read in one query. */
export async function serializeEvents(events: OutboxEvent[]): Promise<EventObject[]> {
  const counts = await pendingWebhookCounts(events.map((e) => e.id));
  return events.map((e) => serializeEvent(e, counts.get(e.id) ?? 0));
}
