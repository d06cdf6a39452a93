import { bigint, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';
import { paymentIntents } from './payments';

/**
 * Disputes (chargebacks) a PSP reported for a payment. Recorded once per PSP dispute id, so a
 * redelivered dispute webhook is a no-op insert.
 */
export const paymentDisputes = pgTable(
  'payment_disputes',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    psp: text().notNull(),
    /** The PSP's dispute id (Stripe's dp_...). */
    pspDisputeId: text().notNull(),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    /** The PSP's reason, e.g. fraudulent, product_not_received. */
    reason: text().notNull(),
    /** The PSP's status when it was reported, e.g. needs_response. */
    status: text().notNull(),
    disputedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the insert's ON CONFLICT target: one row per PSP dispute however often it is reported
    uniqueIndex('payment_disputes_psp_dispute_key').on(t.psp, t.pspDisputeId),
    // a payment's disputes (payment detail, API)
    index('payment_disputes_payment_intent_idx').on(t.paymentIntentId),
  ],
);
export type PaymentDispute = typeof paymentDisputes.$inferSelect;
