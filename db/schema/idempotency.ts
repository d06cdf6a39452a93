import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Stored results of POST requests, keyed by (merchant, Idempotency-Key); kept 24 hours. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    merchantId: text().notNull(),
    key: text().notNull(),
    /** "POST /api/v1/payment_intents" — a key is bound to one endpoint. */
    endpoint: text().notNull(),
    /** SHA-256 of the canonical request body. */
    requestHash: text().notNull(),
    state: text({ enum: ['in_progress', 'completed'] }).notNull(),
    responseStatus: integer(),
    /**
     * The response's JSON text exactly as first sent: text, not jsonb, because jsonb reorders keys,
     * re-spaces and refuses \u0000, and a replay must be the same bytes.
     */
    responseBody: text(),
    lockedUntil: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.key] }),
    // the cleanup deletes expired keys
    index('idempotency_keys_expires_idx').on(t.expiresAt),
  ],
);
export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
