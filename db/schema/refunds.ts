import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';
import { paymentAttempts, paymentIntents } from './payments';

export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const refunds = pgTable(
  'refunds',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    /** The attempt that took the money (Stripe's charge: the refund's `charge` is derived from it). */
    paymentAttemptId: text().references(() => paymentAttempts.id),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    status: text({ enum: REFUND_STATUSES }).notNull(),
    reason: text({ enum: ['duplicate', 'fraudulent', 'requested_by_customer'] }),
    psp: text().notNull(),
    /** Sent as Idempotency-Key on every PSP refund call, so a retried refund refunds once. */
    pspIdempotencyKey: text().notNull(),
    pspReference: text(),
    failureReason: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refunds_psp_idempotency_key').on(t.pspIdempotencyKey),
    // GET /refunds lists a merchant's newest first, optionally for one payment
    index('refunds_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
    index('refunds_payment_intent_idx').on(t.paymentIntentId),
    // the refund safety net finds refunds still waiting for the PSP
    index('refunds_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
  ],
);
export type Refund = typeof refunds.$inferSelect;
