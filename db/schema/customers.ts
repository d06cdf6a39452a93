import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/**
 * A merchant's customer (Stripe's Customer). Deleting one keeps the row (payment intents and saved
 * cards still name it) and sets deleted_at: the API then answers Stripe's `{deleted: true}` object,
 * and nothing new may be attached to it.
 */
export const customers = pgTable(
  'customers',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    email: text(),
    name: text(),
    phone: text(),
    description: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    deletedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // GET /customers lists a merchant's live customers newest first (keyset on created, id)
    index('customers_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()).where(sql`${t.deletedAt} is null`),
    // GET /customers?email= and customer search by email
    index('customers_merchant_email_idx').on(t.merchantId, sql`lower(${t.email})`),
  ],
);
export type Customer = typeof customers.$inferSelect;
