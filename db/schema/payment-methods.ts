import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';
import type { CardDetailsJson } from './payments';

/**
 * A merchant's PaymentMethod (Stripe's `pm_` object): what a payment was made with, as the PSP
 * described it. Never card data: a card is its brand, last4, expiry and fingerprint, and the
 * PSP's token for it. lib/payment-methods owns the rows and their API shape.
 */
export const paymentMethods = pgTable(
  'payment_methods',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    /** card, or an extension type (mpesa) */
    type: text().notNull(),
    card: jsonb().$type<CardDetailsJson | null>(),
    /** The PSP's token the method charges with (a sandbox or Stripe token), null once it cannot charge again. */
    pspToken: text(),
    /** The psp that issued pspToken (sandbox_card, stripe). */
    psp: text(),
    /** A `cus_` id the method is attached to (Customers attach/detach). */
    customerId: text(),
    billingDetails: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // GET /v1/payment_methods?customer=cus_... lists a customer's methods newest first
    index('payment_methods_merchant_customer_idx').on(t.merchantId, t.customerId, t.createdAt.desc()),
  ],
);
export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
