import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/** Per-merchant thresholds; a merchant without a row uses the defaults in lib/risk. */
export const riskSettings = pgTable('risk_settings', {
  merchantId: text()
    .primaryKey()
    .references(() => merchants.id),
  maxAttemptsPerIpPerDay: integer().notNull(),
  maxAttemptsPerCardPerDay: integer().notNull(),
  maxAttemptsPerEmailPerDay: integer().notNull(),
  /** Largest amount (minor units) allowed per currency, e.g. {"usd": 1000000}. */
  amountCeilings: jsonb().$type<Record<string, number>>().notNull(),
  /** Amounts at or above this share of the ceiling are allowed but flagged for review. */
  reviewThresholdPercent: integer().notNull(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type RiskSettingsRow = typeof riskSettings.$inferSelect;

export const blocklistEntries = pgTable(
  'blocklist_entries',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    kind: text({ enum: ['card_fingerprint', 'email', 'ip'] }).notNull(),
    value: text().notNull(),
    reason: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the risk check looks up each of an attempt's values
    uniqueIndex('blocklist_entries_merchant_kind_value_key').on(t.merchantId, t.kind, t.value),
    index('blocklist_entries_merchant_idx').on(t.merchantId, t.createdAt),
  ],
);
export type BlocklistEntry = typeof blocklistEntries.$inferSelect;


/**
 * Request rate-limit windows (lib/rate-limit): one row per limited key, e.g. `api_read:<key hash>`
 * or `pay_page:<ip>`, holding the requests counted in its current window. Every instance of the
 * app counts here, so a limit holds across instances. UNLOGGED (see the migration): a counter lost
 * in a crash only forgives one window, and skipping the WAL keeps the per-request upsert cheap.
 */
export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    key: text().primaryKey(),
    points: integer().notNull(),
    /** When the window ends; null never expires. */
    expire: timestamp({ withTimezone: true }),
  },
  // the periodic prune deletes windows that ended long ago
  (t) => [index('rate_limit_counters_expire_idx').on(t.expire)],
);
