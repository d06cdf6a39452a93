import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from '@/db/schema';
import { env } from '@/lib/env';
import { toStorableText } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { postToMerchantUrl } from './outbound';
import { serializeEvents } from '@/lib/events/serialize';
import { signatureHeaders } from './signature';
import { DISABLE_AFTER_CONSECUTIVE_FAILURES } from './schedule';
import { subscribes } from './endpoints';

const DELIVERY_TIMEOUT_MS = 10_000;
const RESPONSE_EXCERPT_CHARS = 500;

/**
 * Creates one delivery per subscribed endpoint of the event's merchant. Idempotent: the unique
 * (event, endpoint) index makes a re-run return the same deliveries instead of adding new ones.
 */
export async function fanOutEvent(eventId: string): Promise<string[]> {
  const db = getDb();
  const [event] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, eventId));
  if (!event?.merchantId) return [];
  const endpoints = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchantId, event.merchantId), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
  const targets = endpoints.filter((e) => subscribes(e, event.type));
  if (targets.length === 0) return [];
  await db
    .insert(webhookDeliveries)
    .values(targets.map((e) => ({ id: newId('webhookDelivery'), merchantId: event.merchantId!, eventId: event.id, endpointId: e.id })))
    .onConflictDoNothing();
  const rows = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.eventId, event.id))
    .orderBy(asc(webhookDeliveries.createdAt));
  return rows.map((r) => r.id);
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
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints, event: outboxEvents })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row) throw new Error(`webhook delivery ${deliveryId} not found`);
  const { delivery, endpoint, event } = row;
  const skip = { delivered: delivery.status === 'succeeded', attempted: false, statusCode: delivery.lastStatusCode, attemptNumber: delivery.attemptCount };
  if (trigger === 'schedule' && delivery.status !== 'pending') return skip;
  if (endpoint.deletedAt || (trigger === 'schedule' && endpoint.status === 'disabled')) return skip;

  // pending_webhooks counts this delivery too until it is acknowledged, as Stripe's does
  const [eventObject] = await serializeEvents([event]);
  const body = JSON.stringify(eventObject);
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

async function recordAttempt(a: {
  deliveryId: string;
  endpointId: string;
  trigger: 'schedule' | 'manual';
  statusCode: number | null;
  latencyMs: number;
  excerpt: string | null;
  error: string | null;
  delivered: boolean;
}): Promise<number> {
  return getDb().transaction(async (tx) => {
    const [d] = await tx
      .update(webhookDeliveries)
      .set({
        attemptCount: sql`${webhookDeliveries.attemptCount} + 1`,
        lastStatusCode: a.statusCode,
        updatedAt: new Date(),
        ...(a.delivered ? { status: 'succeeded' as const, nextAttemptAt: null } : {}),
      })
      .where(eq(webhookDeliveries.id, a.deliveryId))
      .returning({ attemptCount: webhookDeliveries.attemptCount });
    const attemptNumber = d?.attemptCount ?? 1;
    await tx.insert(webhookAttempts).values({
      id: newId('webhookAttempt'),
      deliveryId: a.deliveryId,
      attemptNumber,
      trigger: a.trigger,
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      responseExcerpt: a.excerpt,
      error: a.error,
    });
    if (a.delivered) {
      await tx.update(webhookEndpoints).set({ consecutiveFailures: 0 }).where(eq(webhookEndpoints.id, a.endpointId));
      return attemptNumber;
    }
    const [e] = await tx
      .update(webhookEndpoints)
      .set({ consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1` })
      .where(eq(webhookEndpoints.id, a.endpointId))
      .returning({ failures: webhookEndpoints.consecutiveFailures, status: webhookEndpoints.status });
    if (e && e.status === 'enabled' && e.failures >= DISABLE_AFTER_CONSECUTIVE_FAILURES) {
      await tx
        .update(webhookEndpoints)
        .set({ status: 'disabled', disabledReason: `Disabled after ${e.failures} consecutive failed delivery attempts (last: ${a.error ?? `HTTP ${a.statusCode}`}).` })
        .where(eq(webhookEndpoints.id, a.endpointId));
    }
    return attemptNumber;
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
