import { bigint, boolean, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';
import { products } from './store';

/**
 * A one-time price of a product (Stripe's Price, type one_time). A price's amount and currency
 * never change once created (Stripe's rule too): a new price is created instead and the old one
 * deactivated, so a checkout session that named a price always charged what the price said.
 */
export const prices = pgTable(
  'prices',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    productId: text()
      .notNull()
      .references(() => products.id),
    unitAmount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    active: boolean().notNull().default(true),
    nickname: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // GET /prices lists a merchant's prices newest first, optionally for one product
    index('prices_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
    index('prices_product_idx').on(t.productId),
  ],
);
export type Price = typeof prices.$inferSelect;
