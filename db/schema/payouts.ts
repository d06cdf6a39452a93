import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

export const PAYOUT_INTERVALS = ['daily', 'weekly', 'manual'] as const;
export type PayoutInterval = (typeof PAYOUT_INTERVALS)[number];

export const PAYOUT_STATUSES = ['in_transit', 'paid', 'failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/**
 * How and where a merchant is paid out. A missing row means daily payouts to no bank account
 * (nothing is paid out until the merchant has one). The bank account is test data: a holder name
 * and the last four digits; the money logic around it is real.
 */
export const payoutSettings = pgTable('payout_settings', {
  merchantId: text()
    .primaryKey()
    .references(() => merchants.id),
  interval: text({ enum: PAYOUT_INTERVALS }).notNull().default('daily'),
  bankAccountHolder: text(),
  bankAccountLast4: text(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type PayoutSettings = typeof payoutSettings.$inferSelect;

/**
 * A payout (po_): the merchant's available balance on its way to the merchant's bank. Created in
 * the transaction that posts available -> payout clearing; `paid` once the bank transfer is booked
 * (payout clearing -> bank). One per (merchant, currency, schedule period): the unique key makes a
 * second run of the same period a no-op.
 */
export const payouts = pgTable(
  'payouts',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    currency: text().notNull(),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    status: text({ enum: PAYOUT_STATUSES }).notNull(),
    /** "daily:2026-12-01", "weekly:2026-11-30" (the period's Monday) or "manual:<request key>". */
    periodKey: text().notNull(),
    /** The journal transaction (kind payout) that took the amount out of available. */
    journalTransactionId: text().notNull(),
    bankAccountLast4: text(),
    arrivalDate: timestamp({ withTimezone: true }).notNull(),
    paidAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('payouts_amount_positive', sql`${t.amountMinor} > 0`),
    uniqueIndex('payouts_merchant_period_key').on(t.merchantId, t.currency, t.periodKey),
    // GET /v1/payouts pages a merchant's payouts newest first
    index('payouts_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
    // the paying step finds payouts still in transit
    index('payouts_in_transit_idx')
      .on(t.arrivalDate)
      .where(sql`${t.status} = 'in_transit'`),
  ],
);
export type Payout = typeof payouts.$inferSelect;

/**
 * What a payout contains: the merchant's balance transactions (journal transactions) whose effect
 * on the available balance it paid out. A journal transaction belongs to at most one payout
 * (primary key), so nothing is paid out twice.
 */
export const payoutItems = pgTable(
  'payout_items',
  {
    journalTransactionId: text().notNull(),
    payoutId: text()
      .notNull()
      .references(() => payouts.id),
    /** The transaction's change of the merchant's available balance, as paid out. */
    availableDeltaMinor: bigint({ mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.journalTransactionId] }),
    // a payout's contents and balance_transactions?payout=
    index('payout_items_payout_idx').on(t.payoutId),
  ],
);
export type PayoutItem = typeof payoutItems.$inferSelect;
