import { sql } from 'drizzle-orm';
import { bigint, boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

export const PAYMENT_INTENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type PaymentIntentStatus = (typeof PAYMENT_INTENT_STATUSES)[number];

export interface PaymentErrorJson {
  type: string;
  code: string;
  message: string;
  decline_code?: string;
  payment_attempt?: string;
}

export interface CardDetailsJson {
  brand: string;
  last4: string;
  fingerprint: string;
  exp_month?: number;
  exp_year?: number;
}

export const paymentIntents = pgTable(
  'payment_intents',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    status: text({ enum: PAYMENT_INTENT_STATUSES }).notNull(),
    captureMethod: text({ enum: ['automatic', 'manual'] }).notNull(),
    amountCapturable: bigint({ mode: 'number' }).notNull().default(0),
    amountReceived: bigint({ mode: 'number' }).notNull().default(0),
    description: text(),
    customerEmail: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    lastPaymentError: jsonb().$type<PaymentErrorJson | null>(),
    latestAttemptId: text(),
    checkoutSessionId: text(),
    /** Stripe's `client_secret` (`pi_..._secret_...`): lets the customer's browser read and confirm this one intent. */
    clientSecret: text(),
    /** A `cus_` id (Customers); its existence is checked where customers are kept. */
    customerId: text(),
    /** The PaymentMethod the intent will be (or was last) confirmed with. */
    paymentMethodId: text(),
    paymentMethodTypes: jsonb().$type<string[]>().notNull().default(['card']),
    automaticPaymentMethods: jsonb().$type<{ enabled: boolean; allow_redirects?: 'always' | 'never' } | null>(),
    statementDescriptor: text(),
    cancellationReason: text(),
    canceledAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // GET /payment_intents lists a merchant's newest first, optionally by status
    index('payment_intents_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
    index('payment_intents_merchant_status_idx').on(t.merchantId, t.status, t.createdAt.desc()),
    // GET /payment_intents?customer=cus_... lists a customer's newest first
    index('payment_intents_merchant_customer_idx').on(t.merchantId, t.customerId, t.createdAt.desc()),
  ],
);
export type PaymentIntent = typeof paymentIntents.$inferSelect;

/**
 * canceling / capturing: a cancel or capture has claimed the attempt (under the intent's row lock)
 * and is talking to the PSP; nothing else may act on it until that request records the answer.
 * reversal_pending: the PSP may hold money for an attempt we will not keep (its success came after
 * the intent was canceled or the attempt failed); it is voided or refunded at the PSP, and retried
 * until the PSP confirms. reversed: that money was given back (reversal_reason says how).
 */
export const ATTEMPT_STATUSES = [
  'pending',
  'requires_action',
  'authorized',
  'succeeded',
  'failed',
  'canceled',
  'canceling',
  'capturing',
  'reversal_pending',
  'reversed',
] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const paymentAttempts = pgTable(
  'payment_attempts',
  {
    id: text().primaryKey(),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    status: text({ enum: ATTEMPT_STATUSES }).notNull(),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    psp: text().notNull(),
    routingReason: text(),
    /** Sent as Idempotency-Key on every PSP call for this attempt, so retries never charge twice. */
    pspIdempotencyKey: text().notNull(),
    pspReference: text(),
    paymentMethodType: text().notNull(),
    /** The PSP's token for the card (never card data): lets an unanswered request be re-sent as is. */
    paymentMethodToken: text(),
    /** The PaymentMethod (`pm_`) this attempt charged. */
    paymentMethodId: text(),
    /** Charged without the cardholder present (off_session): the PSP declines rather than asks for 3-D Secure. */
    offSession: boolean().notNull().default(false),
    card: jsonb().$type<CardDetailsJson | null>(),
    customerIp: text(),
    customerEmail: text(),
    riskDecision: text({ enum: ['allow', 'review', 'block'] }),
    riskReasons: jsonb().$type<string[]>().notNull().default([]),
    failureCode: text(),
    declineCode: text(),
    failureMessage: text(),
    nextAction: jsonb().$type<{ type: 'redirect_to_url'; redirect_to_url: { url: string; return_url: string } } | null>(),
    /** Why the attempt's money is owed back or how it was given back (reversal_pending / reversed). */
    reversalReason: text(),
    reversedAt: timestamp({ withTimezone: true }),
    /** One reverser at a time (the request that noticed it, or a sweep) holds the attempt until then. */
    reversalLeaseUntil: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // at most one attempt in flight per payment intent: a second concurrent confirm cannot start
    uniqueIndex('payment_attempts_one_in_flight_key')
      .on(t.paymentIntentId)
      .where(sql`${t.status} in ('pending', 'requires_action')`),
    uniqueIndex('payment_attempts_psp_idempotency_key').on(t.pspIdempotencyKey),
    // the reversal sweep finds attempts whose money is still owed back, oldest first
    index('payment_attempts_reversal_pending_idx').on(t.updatedAt).where(sql`${t.status} = 'reversal_pending'`),
    index('payment_attempts_intent_idx').on(t.paymentIntentId, t.createdAt),
    // risk velocity rules count a merchant's attempts per IP / fingerprint / email over the last day
    index('payment_attempts_risk_ip_idx').on(t.merchantId, t.customerIp, t.createdAt),
    index('payment_attempts_risk_fp_idx').on(t.merchantId, sql`(${t.card}->>'fingerprint')`, t.createdAt),
    index('payment_attempts_risk_email_idx').on(t.merchantId, sql`lower(${t.customerEmail})`, t.createdAt),
  ],
);
export type PaymentAttempt = typeof paymentAttempts.$inferSelect;

export interface LineItemJson {
  /** li_ id (Stripe's line item id); absent on sessions created before line items had ids. */
  id?: string;
  name: string;
  description?: string;
  /** The Price the line was bought at (line_items[].price), or absent for inline prices (price_data). */
  price?: string;
  /** The Product of that price. */
  product?: string;
  quantity: number;
  unit_amount: number;
  amount_total: number;
  /** Product images (absolute http(s) URLs); the pay page shows the first. Absent on older sessions. */
  images?: string[];
}

export const checkoutSessions = pgTable(
  'checkout_sessions',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    status: text({ enum: ['open', 'complete', 'expired'] }).notNull(),
    amountTotal: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    lineItems: jsonb().$type<LineItemJson[]>().notNull().default([]),
    successUrl: text().notNull(),
    cancelUrl: text().notNull(),
    customerEmail: text(),
    /** The cus_ customer the session pays for (Stripe's customer), when the merchant named one. */
    customerId: text(),
    /** The payment method types the pay page may offer (payment_method_types); null: every type the currency allows. */
    paymentMethodTypes: jsonb().$type<string[] | null>(),
    clientReferenceId: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    completedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('checkout_sessions_merchant_created_idx').on(t.merchantId, t.createdAt.desc()),
    uniqueIndex('checkout_sessions_payment_intent_key').on(t.paymentIntentId),
    // the expiry sweep finds open sessions past their deadline
    index('checkout_sessions_open_expiry_idx').on(t.expiresAt).where(sql`${t.status} = 'open'`),
  ],
);
export type CheckoutSession = typeof checkoutSessions.$inferSelect;
