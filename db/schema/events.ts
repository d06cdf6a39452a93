import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox: every state change inserts a row here in the same database
 * transaction. The relay hands rows to the background engine with event id = row id.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: text().primaryKey(),
    /** Commit-independent total order for the relay (per aggregate order follows from it). */
    seq: bigserial({ mode: 'number' }).notNull(),
    merchantId: text(),
    type: text().notNull(),
    aggregateType: text().notNull(),
    aggregateId: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    /** The API request that caused the event (Stripe's event.request.id); null for background work. */
    requestId: text(),
    /** That request's Idempotency-Key (event.request.idempotency_key). */
    requestIdempotencyKey: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // the relay scans unsent rows in order
    index('outbox_events_unsent_idx').on(t.seq).where(sql`${t.sentAt} is null`),
    // the event list of one payment (timeline)
    index('outbox_events_aggregate_idx').on(t.aggregateId, t.seq),
    index('outbox_events_merchant_idx').on(t.merchantId, t.seq),
  ],
);
export type OutboxEvent = typeof outboxEvents.$inferSelect;
