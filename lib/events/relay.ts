import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { outboxEvents, webhookEndpoints, type OutboxEvent } from '@/db/schema';
import { subscribes } from '@/lib/webhooks/endpoints';

export interface RelayedEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
}

export type SendEvents = (events: RelayedEvent[]) => Promise<void>;

// Only one relay works at a time (per database), so events leave in commit order per payment.
const RELAY_LOCK_KEY = 727_002;

/**
 * `webhookSubscribed` tells the fan-out whether any live endpoint of the merchant wanted the event
 * when it was relayed; the fan-out's trigger filters on it, so an event nobody subscribes to costs
 * no run. It defaults to true (a run that finds no endpoint is only wasted work, never a lost one).
 */
export function toRelayedEvent(row: OutboxEvent, webhookSubscribed = true): RelayedEvent {
  const data = row.data as { object?: Record<string, unknown> };
  return {
    id: row.id,
    name: row.type,
    ts: row.createdAt.getTime(),
    data: {
      eventId: row.id,
      merchantId: row.merchantId,
      aggregateType: row.aggregateType,
      aggregateId: row.aggregateId,
      paymentIntentId: row.aggregateType === 'payment_intent' ? row.aggregateId : ((data.object?.payment_intent as string | undefined) ?? null),
      /** The payment attempt the event is about, when there is one (waits and runs key on it). */
      attemptId: (data.object?.latest_attempt as string | undefined) ?? null,
      object: data.object ?? null,
      webhookSubscribed,
    },
  };
}

/**
 * Which of the rows some enabled, undeleted endpoint of their merchant subscribes to: one indexed
 * query per batch (webhook_endpoints_merchant_idx). Read in the relay's transaction, after the rows
 * committed, so every endpoint that existed when an event was written is seen.
 */
async function subscribedEventIds(tx: Tx, rows: OutboxEvent[]): Promise<Set<string>> {
  const merchantIds = [...new Set(rows.flatMap((r) => (r.merchantId ? [r.merchantId] : [])))];
  if (merchantIds.length === 0) return new Set();
  const endpoints = await tx
    .select({ merchantId: webhookEndpoints.merchantId, enabledEvents: webhookEndpoints.enabledEvents })
    .from(webhookEndpoints)
    .where(and(inArray(webhookEndpoints.merchantId, merchantIds), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
  return new Set(rows.filter((r) => endpoints.some((e) => e.merchantId === r.merchantId && subscribes(e, r.type))).map((r) => r.id));
}

/**
 * Sends the oldest unsent outbox rows and marks them sent, in one transaction. At-least-once and
 * never lost: if the process dies after sending but before the commit, the rows stay unsent and
 * are sent again with the same event ids, which the engine deduplicates. Returns how many were
 * relayed (0 when another relay holds the lock or nothing is pending).
 */
export async function relayOutboxBatch(send: SendEvents, limit = 100): Promise<number> {
  return getDb().transaction(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) as locked`);
    if (!lock?.locked) return 0;
    const rows = await tx.select().from(outboxEvents).where(isNull(outboxEvents.sentAt)).orderBy(asc(outboxEvents.seq)).limit(limit);
    if (rows.length === 0) return 0;
    const subscribed = await subscribedEventIds(tx, rows);
    await send(rows.map((row) => toRelayedEvent(row, subscribed.has(row.id))));
    await tx
      .update(outboxEvents)
      .set({ sentAt: new Date() })
      .where(inArray(outboxEvents.id, rows.map((r) => r.id)));
    return rows.length;
  });
}

export interface RelayLoop {
  stop(): Promise<void>;
}

/**
 * Runs the relay until stopped: drains whenever there is work, otherwise polls every `pollMs`
 * and wakes early on NOTIFY outbox_events (sent by a trigger on insert).
 */
export function startOutboxRelay(options: { send: SendEvents; pollMs?: number; onError?: (err: unknown) => void }): RelayLoop {
  const pollMs = options.pollMs ?? 500;
  let stopped = false;
  let wake: (() => void) | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  const onError = options.onError ?? ((err) => console.error('[outbox-relay]', err instanceof Error ? err.message : err));

  void (async () => {
    try {
      const { getSql } = await import('@/db/client');
      const listener = await getSql().listen('outbox_events', () => wake?.());
      unlisten = () => listener.unlisten();
    } catch (err) {
      onError(err); // polling still works
    }
  })();

  const loop = (async () => {
    let backoffMs = pollMs;
    while (!stopped) {
      try {
        const sent = await relayOutboxBatch(options.send);
        backoffMs = pollMs;
        if (sent > 0) continue;
      } catch (err) {
        onError(err);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await unlisten?.().catch(() => undefined);
    },
  };
}
