import { boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { apiKeys, merchants, users } from './merchants';

/**
 * Every dashboard sign-in and sign-up attempt, so the rate limit (failures per IP and per email
 * in a window) holds across processes and restarts. Old rows are pruned by lib/auth/login-rate-limit.
 */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: text().primaryKey(),
    kind: text({ enum: ['login', 'signup'] }).notNull(),
    /** Lower-cased; null when the form sent no usable email. */
    email: text(),
    ip: text(),
    succeeded: boolean().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the limiter counts recent failures for one email, and for one IP
    index('login_attempts_email_created_idx').on(t.email, t.createdAt),
    index('login_attempts_ip_created_idx').on(t.ip, t.createdAt),
  ],
);
export type LoginAttempt = typeof loginAttempts.$inferSelect;

/** One row per public API request of a known merchant (best effort; the developers page shows the last 100). */
export const apiRequestLog = pgTable(
  'api_request_log',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    apiKeyId: text().references(() => apiKeys.id),
    method: text().notNull(),
    path: text().notNull(),
    status: integer().notNull(),
    latencyMs: integer().notNull(),
    requestId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the developers page lists a merchant's most recent requests
    index('api_request_log_merchant_created_idx').on(t.merchantId, t.createdAt.desc()),
  ],
);
export type ApiRequestLogRow = typeof apiRequestLog.$inferSelect;

export type PspRoutingPreferences = { card: string[]; mpesa: string[] };

/** Merchant profile and preferences edited on the settings page; a merchant without a row uses the defaults. */
export const merchantSettings = pgTable('merchant_settings', {
  merchantId: text()
    .primaryKey()
    .references(() => merchants.id),
  supportEmail: text(),
  /** Ordered PSP preference per payment method (routing honours it in a later issue). */
  pspRouting: jsonb().$type<PspRoutingPreferences>().notNull(),
  /**
   * "Accept late successes": when reconciliation finds that the PSP charged a payment we had
   * failed and the order is still open, book it as paid instead of giving the money back. Off by
   * default: the customer is refunded (the safe answer when the merchant may not fulfil it).
   */
  acceptLateSuccesses: boolean().notNull().default(false),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type MerchantSettingsRow = typeof merchantSettings.$inferSelect;

/** Per-user facts the users table does not hold (it is not altered): who invited them, last sign-in. */
export const userAccess = pgTable('user_access', {
  userId: text()
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  invitedByUserId: text(),
  lastLoginAt: timestamp({ withTimezone: true }),
});
export type UserAccessRow = typeof userAccess.$inferSelect;
