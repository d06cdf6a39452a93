import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const merchants = pgTable('merchants', {
  id: text().primaryKey(),
  name: text().notNull(),
  email: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** Settings: email customers a receipt for each payment and refund (lib/receipts). */
  receiptsEnabled: boolean().notNull().default(true),
  /**
   * The merchant's publishable key (`pk_test_...`): public by design (the customer's browser holds
   * it, as Stripe.js's), so kept as is. It can only read a PaymentIntent whose client_secret it
   * also presents.
   */
  publishableKey: text()
    .notNull()
    .unique()
    .default(sql`('pk_test_' || replace(gen_random_uuid()::text, '-', ''))`),
});
export type Merchant = typeof merchants.$inferSelect;

export const users = pgTable(
  'users',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    email: text().notNull(),
    passwordHash: text().notNull(),
    role: text({ enum: ['owner', 'developer', 'viewer'] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // login looks a user up by email, case-insensitively
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_merchant_idx').on(t.merchantId),
  ],
);
export type User = typeof users.$inferSelect;

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    /** SHA-256 of the whole secret key; the key itself is never stored. */
    keyHash: text().notNull(),
    /** First characters and last four, for display only ("sk_test_AbC...wxyz"). */
    redacted: text().notNull(),
    mode: text({ enum: ['test', 'live'] }).notNull().default('test'),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // every API request authenticates by hash
    uniqueIndex('api_keys_key_hash_key').on(t.keyHash),
    index('api_keys_merchant_idx').on(t.merchantId),
  ],
);
export type ApiKey = typeof apiKeys.$inferSelect;
