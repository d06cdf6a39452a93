import { bigint, boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/** The demo merchant's catalogue, sold at /store. */
export const products = pgTable(
  'products',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    name: text().notNull(),
    description: text().notNull(),
    unitAmount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    /** A path under public/, e.g. /products/mug.svg */
    image: text().notNull(),
    active: boolean().notNull().default(true),
    sortOrder: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('products_merchant_idx').on(t.merchantId, t.sortOrder)],
);
export type Product = typeof products.$inferSelect;
