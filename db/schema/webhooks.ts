import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { outboxEvents } from './events';
import { merchants } from './merchants';

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    url: text().notNull(),
    description: text(),
    /** Event types this endpoint receives; ["*"] for all. */
    enabledEvents: text().array().notNull(),
    /** Kept to sign deliveries (HMAC needs it); shown to the merchant once, at creation. */
    secret: text().notNull(),
    status: text({ enum: ['enabled', 'disabled'] }).notNull().default('enabled'),
    disabledReason: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    consecutiveFailures: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // fan-out finds a merchant's live endpoints for each event
    index('webhook_endpoints_merchant_idx').on(t.merchantId).where(sql`${t.deletedAt} is null`),
  ],
);
export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;

/** One event to one endpoint; its attempts follow the retry schedule for up to 3 days. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text().primaryKey(),
    merchantId: text().notNull(),
    eventId: text()
      .notNull()
      .references(() => outboxEvents.id),
    endpointId: text()
      .notNull()
      .references(() => webhookEndpoints.id),
    status: text({ enum: ['pending', 'succeeded', 'failed'] }).notNull().default('pending'),
    attemptCount: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }),
    lastStatusCode: integer(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // an event is delivered to an endpoint once, however often the fan-out runs
    uniqueIndex('webhook_deliveries_event_endpoint_key').on(t.eventId, t.endpointId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
);
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: text().primaryKey(),
    deliveryId: text()
      .notNull()
      .references(() => webhookDeliveries.id),
    attemptNumber: integer().notNull(),
    /** Why this attempt ran: the schedule, or a merchant's manual redelivery. */
    trigger: text({ enum: ['schedule', 'manual'] }).notNull(),
    statusCode: integer(),
    latencyMs: integer().notNull(),
    responseExcerpt: text(),
    error: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attemptNumber)],
);
export type WebhookAttempt = typeof webhookAttempts.$inferSelect;
