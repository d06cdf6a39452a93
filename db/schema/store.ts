import { boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/**
 * A merchant's products (Stripe's Product): what the API's /v1/products serves and what the demo
 * store sells at /store. What a product costs lives in its prices (catalog.ts); default_price is
 * the one the store shows.
 */
export const products = pgTable(
  'products',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    name: text().notNull(),
    description: text(),
    /** Absolute http(s) image URLs, as Stripe's product.images. */
    images: jsonb().$type<string[]>().notNull().default([]),
    /** The demo store's shelf picture: a path under public/, e.g. /products/mug.svg (null for API products). */
    image: text(),
    active: boolean().notNull().default(true),
    /** The price shown and sold by default (a prices.id of this product). */
    defaultPriceId: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    sortOrder: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the store's shelf, in catalogue order
    index('products_merchant_idx').on(t.merchantId, t.sortOrder),
    // GET /products lists newest first (keyset on created, id)
    index('products_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
  ],
);
export type Product = typeof products.$inferSelect;
