import { inArray, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { outboxEvents, type OutboxEvent } from '@/db/schema';
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

/**
 * Stripe's pending_webhooks, as a column of a query over outbox_events: the event's deliveries
 * still waiting for a 2xx (the one being sent included, until it is acknowledged). Written with
 * explicit names: drizzle leaves columns unqualified in a one-table select, and an unqualified id
 * would bind to the subquery's own table.
 */
export const pendingWebhooksOfEvent = sql<number>`(select count(*)::int from webhook_deliveries pending_delivery
  where pending_delivery.event_id = outbox_events.id and pending_delivery.status = 'pending')`;

/** How many deliveries of each event are still waiting for a 2xx, in one query. */
export async function pendingWebhookCounts(eventIds: string[]): Promise<Map<string, number>> {
  if (eventIds.length === 0) return new Map();
  const rows = await getDb()
    .select({ eventId: outboxEvents.id, pending: pendingWebhooksOfEvent })
    .from(outboxEvents)
    .where(inArray(outboxEvents.id, eventIds));
  return new Map(rows.map((r) => [r.eventId, r.pending]));
}

/** Serializes events with their pending_webhooks read in one query. */
export async function serializeEvents(events: OutboxEvent[]): Promise<EventObject[]> {
  const counts = await pendingWebhookCounts(events.map((e) => e.id));
  return events.map((e) => serializeEvent(e, counts.get(e.id) ?? 0));
}
