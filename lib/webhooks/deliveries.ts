import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { getDb, type Db, type DbOrTx } from '@/db/client';
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints, type OutboxEvent } from '@/db/schema';
import { env } from '@/lib/env';
import { toStorableText } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { postToMerchantUrl } from './outbound';
import { pendingWebhooksOfEvent, serializeEvent } from '@/lib/events/serialize';
import { signatureHeaders } from './signature';
import { DISABLE_AFTER_CONSECUTIVE_FAILURES } from './schedule';
import { subscribes } from './endpoints';

const DELIVERY_TIMEOUT_MS = 10_000;
const RESPONSE_EXCERPT_CHARS = 500;

/** The event that starts webhook-deliver for one delivery (consumed in inngest/functions/webhook-deliver.ts). */
export const WEBHOOK_DELIVERY_REQUESTED = 'webhook/delivery.requested';

/** One event to send to one endpoint. */
export interface DeliveryTarget {
  eventId: string;
  merchantId: string;
  endpointId: string;
}

export interface Delivery {
  id: string;
  merchantId: string;
}

/**
 * The request that starts a delivery's run. Its event id is the delivery's, so requesting a
 * delivery again (a re-sent relay batch, a re-run fan-out) starts no second run.
 */
export const deliveryRequestedEvent = (delivery: Delivery) => ({
  id: `delivery-${delivery.id}`,
  name: WEBHOOK_DELIVERY_REQUESTED,
  data: { deliveryId: delivery.id, merchantId: delivery.merchantId },
});

/**
 * The deliveries of these (event, endpoint) pairs, created where missing, in their own statements
 * (never a caller's transaction): they are committed when this returns, so a run started by
 * requesting them finds them. Idempotent: the unique (event, endpoint) index keeps one delivery
 * per pair, and a repeat returns the same ids.
 */
export async function createDeliveries(targets: DeliveryTarget[]): Promise<Delivery[]> {
  if (targets.length === 0) return [];
  const db = getDb();
  const columns = { id: webhookDeliveries.id, merchantId: webhookDeliveries.merchantId, eventId: webhookDeliveries.eventId, endpointId: webhookDeliveries.endpointId };
  const created = await db
    .insert(webhookDeliveries)
    .values(targets.map((t) => ({ id: newId('webhookDelivery'), ...t })))
    .onConflictDoNothing()
    .returning(columns);
  if (created.length === targets.length) return created;
  // some existed already (a repeated batch, a redelivery): read them, now committed
  const rows = await db
    .select(columns)
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.eventId, [...new Set(targets.map((t) => t.eventId))]));
  return rows.filter((d) => targets.some((t) => t.eventId === d.eventId && t.endpointId === d.endpointId));
}

/** The live endpoints of the events' merchants that subscribe to them, one indexed query. */
export async function deliveryTargets(
  db: Pick<Db, 'select'>,
  events: Pick<OutboxEvent, 'id' | 'merchantId' | 'type'>[],
): Promise<DeliveryTarget[]> {
  const merchantIds = [...new Set(events.flatMap((e) => (e.merchantId ? [e.merchantId] : [])))];
  if (merchantIds.length === 0) return [];
  const endpoints = await db
    .select({ id: webhookEndpoints.id, merchantId: webhookEndpoints.merchantId, enabledEvents: webhookEndpoints.enabledEvents })
    .from(webhookEndpoints)
    .where(and(inArray(webhookEndpoints.merchantId, merchantIds), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
  return events.flatMap(({ id: eventId, merchantId, type }) =>
    endpoints.filter((e) => e.merchantId === merchantId && subscribes(e, type)).map((e) => ({ eventId, merchantId: e.merchantId, endpointId: e.id })),
  );
}

/** Creates one delivery per subscribed endpoint of the event's merchant (idempotent, as createDeliveries). */
export async function fanOutEvent(eventId: string): Promise<string[]> {
  const db = getDb();
  const [event] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, eventId));
  if (!event) return [];
  return (await createDeliveries(await deliveryTargets(db, [event]))).map((d) => d.id);
}

export interface AttemptResult {
  delivered: boolean;
  /** false when there is nothing to do: already delivered, or the endpoint was disabled/deleted. */
  attempted: boolean;
  statusCode: number | null;
  attemptNumber: number;
}

/**
 * Sends one signed attempt and records it (status, latency, response excerpt). Safe to run
 * twice: a delivery that already succeeded is not sent again by the schedule; at worst a crash
 * between sending and recording repeats one POST, which merchants dedupe by event id.
 */
export async function attemptDelivery(deliveryId: string, trigger: 'schedule' | 'manual' = 'schedule'): Promise<AttemptResult> {
  const db = getDb();
  const [row] = await db
    .select({
      delivery: webhookDeliveries,
      endpoint: webhookEndpoints,
      event: outboxEvents,
      pendingWebhooks: pendingWebhooksOfEvent,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row) throw new Error(`webhook delivery ${deliveryId} not found`);
  const { delivery, endpoint, event, pendingWebhooks } = row;
  const skip = { delivered: delivery.status === 'succeeded', attempted: false, statusCode: delivery.lastStatusCode, attemptNumber: delivery.attemptCount };
  if (trigger === 'schedule' && delivery.status !== 'pending') return skip;
  if (endpoint.deletedAt || (trigger === 'schedule' && endpoint.status === 'disabled')) return skip;

  const body = JSON.stringify(serializeEvent(event, pendingWebhooks));
  const started = performance.now();
  let statusCode: number | null = null;
  let excerpt: string | null = null;
  let error: string | null = null;
  try {
    // Connects only to public addresses (checked after DNS) unless the install allows internal
    // ones; a redirect is returned, never followed.
    const res = await postToMerchantUrl(endpoint.url, {
      // Stripe-Signature and Pay-Signature, one value: the official SDKs' constructEvent verifies it
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'paykit-webhooks/1', ...signatureHeaders(endpoint.secret, body) },
      body,
      timeoutMs: DELIVERY_TIMEOUT_MS,
      allowPrivate: env().WEBHOOK_ALLOW_PRIVATE_URLS,
    });
    statusCode = res.statusCode;
    excerpt = toStorableText(res.bodyExcerpt).slice(0, RESPONSE_EXCERPT_CHARS);
    if (statusCode >= 300 && statusCode < 400) {
      error = `Redirect not followed (HTTP ${statusCode}${res.location ? ` to ${toStorableText(res.location).slice(0, 200)}` : ''}); the endpoint URL must answer 2xx itself.`;
    }
  } catch (err) {
    error = toStorableText(err instanceof Error ? err.message : String(err));
  }
  const latencyMs = Math.round(performance.now() - started);
  const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
  const attemptNumber = await recordAttempt({ deliveryId, endpointId: endpoint.id, trigger, statusCode, latencyMs, excerpt, error, delivered });
  return { delivered, attempted: true, statusCode, attemptNumber };
}

interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  trigger: 'schedule' | 'manual';
  statusCode: number | null;
  latencyMs: number;
  excerpt: string | null;
  error: string | null;
  delivered: boolean;
}

/**
 * Records an attempt in one statement: the delivery's count (and, delivered, its end), the
 * attempt's row, and the endpoint's run of failures. A delivery to a healthy endpoint (the common
 * case) leaves the endpoint's row alone: every delivery to it would otherwise write, and lock
 * until commit, that one row. A failure counts on the endpoint; the one that reaches the limit
 * disables it, in the same transaction.
 */
async function recordAttempt(a: AttemptRecord): Promise<number> {
  const endpointUpdate = a.delivered
    ? sql`update webhook_endpoints set consecutive_failures = 0 where id = ${a.endpointId} and consecutive_failures <> 0 returning consecutive_failures, status`
    : sql`update webhook_endpoints set consecutive_failures = consecutive_failures + 1 where id = ${a.endpointId} returning consecutive_failures, status`;
  const record = (db: DbOrTx) =>
    db.execute<{ attempt_number: number | null; failures: number | null; endpoint_status: string | null }>(sql`
      with d as (
        update webhook_deliveries
        set attempt_count = attempt_count + 1, last_status_code = ${a.statusCode}::int, updated_at = now(),
            status = case when ${a.delivered}::boolean then 'succeeded' else status end,
            next_attempt_at = case when ${a.delivered}::boolean then null else next_attempt_at end
        where id = ${a.deliveryId}
        returning attempt_count
      ), attempt as (
        insert into webhook_attempts (id, delivery_id, attempt_number, trigger, status_code, latency_ms, response_excerpt, error)
        select ${newId('webhookAttempt')}, ${a.deliveryId}, d.attempt_count, ${a.trigger}, ${a.statusCode}::int, ${a.latencyMs}::int, ${a.excerpt}::text, ${a.error}::text from d
      ), e as (${endpointUpdate})
      select (select attempt_count from d) as attempt_number, (select consecutive_failures from e) as failures, (select status from e) as endpoint_status`);
  if (a.delivered) {
    const [row] = await record(getDb());
    return row?.attempt_number ?? 1;
  }
  return getDb().transaction(async (tx) => {
    const [row] = await record(tx);
    const failures = row?.failures ?? 0;
    if (row?.endpoint_status === 'enabled' && failures >= DISABLE_AFTER_CONSECUTIVE_FAILURES) {
      await tx
        .update(webhookEndpoints)
        .set({ status: 'disabled', disabledReason: `Disabled after ${failures} consecutive failed delivery attempts (last: ${a.error ?? `HTTP ${a.statusCode}`}).` })
        .where(eq(webhookEndpoints.id, a.endpointId));
    }
    return row?.attempt_number ?? 1;
  });
}

export async function scheduleNextAttempt(deliveryId: string, at: Date): Promise<void> {
  await getDb()
    .update(webhookDeliveries)
    .set({ nextAttemptAt: at, updatedAt: new Date() })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')));
}

/** The schedule is spent: the delivery failed for good, and its endpoint is disabled with the reason. */
export async function markDeliveryFailed(deliveryId: string): Promise<void> {
  await getDb().transaction(async (tx) => {
    const [d] = await tx
      .update(webhookDeliveries)
      .set({ status: 'failed', nextAttemptAt: null, updatedAt: new Date() })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
      .returning();
    if (!d) return;
    await tx
      .update(webhookEndpoints)
      .set({
        status: 'disabled',
        disabledReason: `Disabled: every delivery attempt for event ${d.eventId} failed for 3 days (last: ${d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : 'no response'}).`,
      })
      .where(and(eq(webhookEndpoints.id, d.endpointId), eq(webhookEndpoints.status, 'enabled')));
  });
}

export async function listDeliveriesForEvent(eventId: string) {
  const db = getDb();
  const deliveries = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)).orderBy(asc(webhookDeliveries.createdAt));
  const attempts = deliveries.length
    ? await db
        .select()
        .from(webhookAttempts)
        .where(sql`${webhookAttempts.deliveryId} in ${deliveries.map((d) => d.id)}`)
        .orderBy(asc(webhookAttempts.createdAt))
    : [];
  return deliveries.map((d) => ({
    id: d.id,
    endpoint: d.endpointId,
    status: d.status,
    attempt_count: d.attemptCount,
    next_attempt_at: d.nextAttemptAt ? Math.floor(d.nextAttemptAt.getTime() / 1000) : null,
    attempts: attempts
      .filter((a) => a.deliveryId === d.id)
      .map((a) => ({
        attempt: a.attemptNumber,
        trigger: a.trigger,
        status_code: a.statusCode,
        latency_ms: a.latencyMs,
        response_excerpt: a.responseExcerpt,
        error: a.error,
        created: Math.floor(a.createdAt.getTime() / 1000),
      })),
  }));
}
