import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseFormInput } from '@/lib/http/validation';
import { getDb } from '@/db/client';
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from '@/db/schema';
import { EVENT_TYPES } from '@/lib/events/outbox';
import { replayDeadLetter, type DeadLetterReplayer } from '@/lib/dead-letters';
import { keysetPage, nextCursor } from '@/lib/pagination';
import {
  createWebhookEndpoint,
  createWebhookEndpointBody,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
} from '@/lib/webhooks/endpoints';
import { newId } from '@/lib/ids';
import { attemptDelivery, markDeliveryFailed } from '@/lib/webhooks/deliveries';
import { redeliverEvent } from '@/lib/webhooks/redeliver';
import { audit, authorize, type DashboardActor } from './actor';

export const WEBHOOK_EVENT_CHOICES = ['*', ...EVENT_TYPES] as const;

const endpointId = z.string().min(1).max(100);
const enabledEvents = z
  .array(z.enum(WEBHOOK_EVENT_CHOICES))
  .min(1, 'choose at least one event')
  .max(WEBHOOK_EVENT_CHOICES.length);

/** Creates an endpoint; the signing secret is returned here only, to be shown once. */
export async function createEndpoint(actor: DashboardActor, raw: unknown): Promise<{ id: string; url: string; secret: string }> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(createWebhookEndpointBody, raw);
  return getDb().transaction(async (tx) => {
    const created = await createWebhookEndpoint(tx, actor.user.merchantId, input);
    await audit(
      tx,
      actor,
      'webhook_endpoint.create',
      { type: 'webhook_endpoint', id: created.id },
      { url: created.url, enabled_events: created.enabled_events },
    );
    return { id: created.id, url: created.url, secret: created.secret ?? '' };
  });
}

export const updateEndpointInput = z.object({ endpointId, enabledEvents, description: z.string().max(500).optional() });

/** Changes which events an endpoint receives (and its description). */
export async function updateEndpoint(actor: DashboardActor, raw: unknown): Promise<void> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(updateEndpointInput, raw);
  const endpoint = await getWebhookEndpoint(actor.user.merchantId, input.endpointId);
  const events = input.enabledEvents.includes('*') ? ['*'] : [...new Set(input.enabledEvents)];
  await getDb().transaction(async (tx) => {
    await tx
      .update(webhookEndpoints)
      .set({ enabledEvents: events, ...(input.description !== undefined ? { description: input.description || null } : {}) })
      .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.merchantId, actor.user.merchantId)));
    await audit(
      tx,
      actor,
      'webhook_endpoint.update',
      { type: 'webhook_endpoint', id: endpoint.id },
      { enabled_events: events, before: endpoint.enabledEvents },
    );
  });
}

/** Disables or re-enables an endpoint; enabling starts its failure count afresh. */
export async function setEndpointEnabled(actor: DashboardActor, raw: unknown): Promise<void> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(z.object({ endpointId, enabled: z.boolean() }), raw);
  const endpoint = await getWebhookEndpoint(actor.user.merchantId, input.endpointId);
  await getDb().transaction(async (tx) => {
    await tx
      .update(webhookEndpoints)
      .set(
        input.enabled
          ? { status: 'enabled', disabledReason: null, consecutiveFailures: 0 }
          : { status: 'disabled', disabledReason: `Disabled by ${actor.user.email} in the dashboard.` },
      )
      .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.merchantId, actor.user.merchantId)));
    await audit(tx, actor, input.enabled ? 'webhook_endpoint.enable' : 'webhook_endpoint.disable', {
      type: 'webhook_endpoint',
      id: endpoint.id,
    });
  });
}

export async function deleteEndpoint(actor: DashboardActor, raw: unknown): Promise<void> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(z.object({ endpointId }), raw);
  const deleted = await deleteWebhookEndpoint(actor.user.merchantId, input.endpointId);
  await audit(getDb(), actor, 'webhook_endpoint.delete', { type: 'webhook_endpoint', id: deleted.id });
}

export const TEST_EVENT_TYPE = 'webhook_endpoint.test';

/**
 * Sends a signed test event to one endpoint now, through the normal delivery path (the same
 * signing, URL guard and attempt record), so it shows in the delivery log like any other.
 * The event row is written as already relayed: the background engine never fans it out, so no
 * other endpoint receives it and nothing retries it. A failed test is final, not rescheduled.
 * Safe to repeat: each click is a new event id, and merchants dedupe by event id.
 */
export async function sendTestEvent(
  actor: DashboardActor,
  raw: unknown,
): Promise<{ delivered: boolean; statusCode: number | null; message: string }> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(z.object({ endpointId }), raw);
  const endpoint = await getWebhookEndpoint(actor.user.merchantId, input.endpointId);
  const eventId = newId('event');
  const deliveryId = newId('webhookDelivery');
  await getDb().transaction(async (tx) => {
    await tx.insert(outboxEvents).values({
      id: eventId,
      type: TEST_EVENT_TYPE,
      merchantId: actor.user.merchantId,
      aggregateType: 'webhook_endpoint',
      aggregateId: endpoint.id,
      data: { object: { id: endpoint.id, object: 'webhook_endpoint', url: endpoint.url, test: true } },
      sentAt: new Date(),
    });
    await tx
      .insert(webhookDeliveries)
      .values({ id: deliveryId, merchantId: actor.user.merchantId, eventId, endpointId: endpoint.id });
    await audit(tx, actor, 'webhook_endpoint.test', { type: 'webhook_endpoint', id: endpoint.id }, { event: eventId });
  });
  const result = await attemptDelivery(deliveryId, 'manual');
  if (!result.delivered) await markDeliveryFailed(deliveryId);
  const answer = result.statusCode === null ? 'no response' : `HTTP ${result.statusCode}`;
  return {
    delivered: result.delivered,
    statusCode: result.statusCode,
    message: result.delivered
      ? `Test event ${eventId} delivered (${answer}).`
      : `Test event ${eventId} was not accepted (${answer}); see the delivery log below.`,
  };
}

/** Sends an event again, now, to each of the merchant's endpoints. */
export async function redeliver(actor: DashboardActor, raw: unknown): Promise<{ attempts: number }> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(z.object({ eventId: z.string().min(1).max(100) }), raw);
  const deliveries = await redeliverEvent(actor.user.merchantId, input.eventId);
  await audit(getDb(), actor, 'webhook_event.redeliver', { type: 'event', id: input.eventId }, { deliveries: deliveries.length });
  return { attempts: deliveries.length };
}

/**
 * Starts a failed background job again; only this merchant's dead letters. `replay` is the engine's
 * way of doing it (inngest/dead-letter-replay.ts), passed in so this module knows no engine.
 */
export async function replayDeadLetterAction(
  actor: DashboardActor,
  raw: unknown,
  replay: DeadLetterReplayer,
): Promise<{ runId: string | null }> {
  authorize(actor, 'webhooks:write');
  const input = parseFormInput(z.object({ deadLetterId: z.string().min(1).max(100) }), raw);
  const { letter, runId } = await replayDeadLetter(actor.user.merchantId, input.deadLetterId, replay);
  await audit(
    getDb(),
    actor,
    'dead_letter.replay',
    { type: 'dead_letter', id: letter.id },
    { function: letter.functionId, run_id: runId },
  );
  return { runId };
}

// ---- reads ----

export interface EndpointSummary {
  id: string;
  url: string;
  description: string | null;
  enabledEvents: string[];
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  consecutiveFailures: number;
  failedDeliveries: number;
  createdAt: Date;
}

/** The merchant's live endpoints with how many deliveries are failing (failed, or retrying after an error). */
export async function listEndpoints(merchantId: string): Promise<EndpointSummary[]> {
  const db = getDb();
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)))
    .orderBy(desc(webhookEndpoints.createdAt));
  const failing = rows.length
    ? await db
        .select({ endpointId: webhookDeliveries.endpointId, n: sql<number>`count(*)::int` })
        .from(webhookDeliveries)
        .where(
          and(
            inArray(
              webhookDeliveries.endpointId,
              rows.map((r) => r.id),
            ),
            sql`(${webhookDeliveries.status} = 'failed' or (${webhookDeliveries.status} = 'pending' and ${webhookDeliveries.attemptCount} > 0))`,
          ),
        )
        .groupBy(webhookDeliveries.endpointId)
    : [];
  const failures = new Map(failing.map((f) => [f.endpointId, f.n]));
  return rows.map((e) => ({
    id: e.id,
    url: e.url,
    description: e.description,
    enabledEvents: e.enabledEvents,
    status: e.status,
    disabledReason: e.disabledReason,
    consecutiveFailures: e.consecutiveFailures,
    failedDeliveries: failures.get(e.id) ?? 0,
    createdAt: e.createdAt,
  }));
}

export interface DeliveryLogRow {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  endpointUrl: string;
  status: 'pending' | 'succeeded' | 'failed';
  attemptCount: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  attempts: {
    attemptNumber: number;
    trigger: string;
    statusCode: number | null;
    latencyMs: number;
    responseExcerpt: string | null;
    error: string | null;
    createdAt: Date;
  }[];
}

/** The merchant's webhook deliveries, newest first, each with every attempt. */
export async function listDeliveryLog(
  merchantId: string,
  options: { before?: string; limit?: number; endpointId?: string } = {},
): Promise<{ rows: DeliveryLogRow[]; nextCursor: string | null }> {
  const db = getDb();
  const mine = eq(webhookDeliveries.merchantId, merchantId);
  const result = await keysetPage({
    request: { limit: Math.min(Math.max(options.limit ?? 20, 1), 100), starting_after: options.before },
    table: webhookDeliveries,
    id: webhookDeliveries.id,
    keys: [webhookDeliveries.createdAt, webhookDeliveries.id],
    scope: mine,
    unknownCursor: 'first_page',
    query: ({ where, orderBy, limit }) =>
      db
        .select({ d: webhookDeliveries, eventType: outboxEvents.type, endpointUrl: webhookEndpoints.url })
        .from(webhookDeliveries)
        .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
        .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
        .where(and(mine, options.endpointId ? eq(webhookDeliveries.endpointId, options.endpointId) : undefined, where))
        .orderBy(...orderBy)
        .limit(limit),
  });
  const page = result.rows;
  const attempts = page.length
    ? await db
        .select()
        .from(webhookAttempts)
        .where(
          inArray(
            webhookAttempts.deliveryId,
            page.map((r) => r.d.id),
          ),
        )
        .orderBy(webhookAttempts.attemptNumber)
    : [];
  return {
    rows: page.map(({ d, eventType, endpointUrl }) => ({
      id: d.id,
      eventId: d.eventId,
      eventType,
      endpointId: d.endpointId,
      endpointUrl,
      status: d.status,
      attemptCount: d.attemptCount,
      nextAttemptAt: d.nextAttemptAt,
      createdAt: d.createdAt,
      attempts: attempts
        .filter((a) => a.deliveryId === d.id)
        .map((a) => ({
          attemptNumber: a.attemptNumber,
          trigger: a.trigger,
          statusCode: a.statusCode,
          latencyMs: a.latencyMs,
          responseExcerpt: a.responseExcerpt,
          error: a.error,
          createdAt: a.createdAt,
        })),
    })),
    nextCursor: nextCursor(result, (r) => r.d.id),
  };
}

// The dashboard's dead-letter lists read the dead-letters context.
export { listDeadLetters, listOpenDeadLetters } from '@/lib/dead-letters';
