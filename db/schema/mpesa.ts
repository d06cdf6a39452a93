import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';
import { checkoutSessions, paymentAttempts, paymentIntents } from './payments';

/**
 * Our side of an M-Pesa Express (STK push) payment: one row per payment attempt, written in the
 * same transaction as the attempt. It carries what the attempt table has no column for (the
 * phone number, Daraja's request ids, the receipt), and the mobile-money risk rules count it.
 */
export const mpesaPayments = pgTable(
  'mpesa_payments',
  {
    attemptId: text()
      .primaryKey()
      .references(() => paymentAttempts.id),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    /** Normalized MSISDN, 2547XXXXXXXX or 2541XXXXXXXX. */
    phone: text().notNull(),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    /** Daraja's ids from the STK push answer; null until (unless) Daraja accepted the request. */
    merchantRequestId: text(),
    checkoutRequestId: text(),
    /** The result code Daraja confirmed (by STK query), and the receipt from its callback. */
    resultCode: integer(),
    resultDesc: text(),
    receiptNumber: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // callbacks and queries find the attempt by Daraja's CheckoutRequestID
    uniqueIndex('mpesa_payments_checkout_request_key')
      .on(t.checkoutRequestId)
      .where(sql`${t.checkoutRequestId} is not null`),
    // risk rules: attempts per phone per day, and the same amount to the same phone within 2 minutes
    index('mpesa_payments_risk_phone_idx').on(t.merchantId, t.phone, t.createdAt),
  ],
);
export type MpesaPayment = typeof mpesaPayments.$inferSelect;

export const SANDBOX_STK_STATUSES = ['pending', 'completed'] as const;

/**
 * The offline Daraja sandbox's own state: one row per STK push it accepted. Reached only over
 * HTTP (and by the simulated phone), like Safaricom's systems.
 */
export const sandboxMpesaStkRequests = pgTable(
  'sandbox_mpesa_stk_requests',
  {
    /** CheckoutRequestID, e.g. ws_CO_26112026101500123456789. */
    id: text().primaryKey(),
    merchantRequestId: text().notNull(),
    shortcode: text().notNull(),
    /** Whole shillings, as Daraja's Amount field. */
    amount: integer().notNull(),
    phone: text().notNull(),
    accountReference: text().notNull(),
    transactionDesc: text().notNull(),
    /** CustomerPayBillOnline pays the shortcode's Utility account; CustomerBuyGoodsOnline its till (the Merchant account). */
    transactionType: text({ enum: ['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'] })
      .notNull()
      .default('CustomerPayBillOnline'),
    callbackUrl: text().notNull(),
    status: text({ enum: SANDBOX_STK_STATUSES }).notNull(),
    resultCode: integer(),
    resultDesc: text(),
    receiptNumber: text(),
    /** After this the prompt times out on the phone (ResultCode 1037). */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // the simulated phone shows its pending prompt; rule 17 looks for the same amount to the same phone
    index('sandbox_mpesa_stk_phone_idx').on(t.phone, t.createdAt),
  ],
);
export type SandboxMpesaStkRequest = typeof sandboxMpesaStkRequests.$inferSelect;

export const MPESA_REFUND_KINDS = ['reversal', 'b2c'] as const;
export type MpesaRefundKind = (typeof MPESA_REFUND_KINDS)[number];

/**
 * Our side of an M-Pesa refund: a Reversal of the whole receipt, or a B2C BusinessPayment of part
 * of it to the payer's number. One row per refund (keyed by the refund's PSP idempotency key),
 * written before anything is sent, so a retry re-sends the same request (B2C: the same
 * OriginatorConversationID, which Daraja pays once) or asks Transaction Status instead.
 */
export const mpesaRefunds = pgTable(
  'mpesa_refunds',
  {
    /** refunds.psp_idempotency_key of the refund this is. */
    refundKey: text().primaryKey(),
    /** The payment refunded; null for the return of a Paybill receipt that paid nothing (mpesa_c2b_payments). */
    attemptId: text().references(() => paymentAttempts.id),
    kind: text({ enum: MPESA_REFUND_KINDS }).notNull(),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    /** The payer's MSISDN (B2C pays it; a reversal goes back to it by itself). */
    phone: text().notNull(),
    /** The STK receipt a reversal reverses. */
    originalReceipt: text(),
    /** B2C: ours, chosen before sending. Reversal: Daraja's, from the acknowledgement. */
    originatorConversationId: text(),
    conversationId: text(),
    sentAt: timestamp({ withTimezone: true }),
    acknowledgedAt: timestamp({ withTimezone: true }),
    /** What the request's Result (or queue timeout) said: a hint until Transaction Status confirms it. */
    resultCode: text(),
    resultDesc: text(),
    resultTransactionId: text(),
    queueTimedOutAt: timestamp({ withTimezone: true }),
    /** The Transaction Status query that verifies the outcome (its ids match its Result to it). */
    statusOriginatorConversationId: text(),
    statusConversationId: text(),
    statusQueriedAt: timestamp({ withTimezone: true }),
    /** The verified outcome, and the M-Pesa receipt of the reversal or payout. */
    outcome: text({ enum: ['succeeded', 'failed'] }),
    receiptNumber: text(),
    failureReason: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // a Result names the request by its OriginatorConversationID (and ConversationID)
    uniqueIndex('mpesa_refunds_originator_key')
      .on(t.originatorConversationId)
      .where(sql`${t.originatorConversationId} is not null`),
    // a Transaction Status Result names the status query by its OriginatorConversationID
    uniqueIndex('mpesa_refunds_status_originator_key')
      .on(t.statusOriginatorConversationId)
      .where(sql`${t.statusOriginatorConversationId} is not null`),
  ],
);
export type MpesaRefund = typeof mpesaRefunds.$inferSelect;

/**
 * Pay with Paybill: the account number a checkout session's customer enters on the phone (Lipa
 * na M-PESA > Pay Bill > business number > account number). Unique per session, so a C2B
 * payment names exactly one session; the validation URL accepts only these, for their amount.
 */
export const mpesaPaybillAccounts = pgTable(
  'mpesa_paybill_accounts',
  {
    /** What the customer types (BillRefNumber): short, unambiguous upper-case letters and digits. */
    accountNumber: text().primaryKey(),
    checkoutSessionId: text()
      .notNull()
      .references(() => checkoutSessions.id),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // the pay page finds (or makes) its session's account
  (t) => [uniqueIndex('mpesa_paybill_accounts_session_key').on(t.checkoutSessionId)],
);
export type MpesaPaybillAccount = typeof mpesaPaybillAccounts.$inferSelect;

/**
 * applying: claimed by one applier (claimedAt is its lease; a crashed applier's claim is taken over
 * after PAYBILL_CLAIM_LEASE_MS); applied: it paid its session (attempt); waiting: its session's
 * intent had another attempt in flight, tried again once that ends; unmatched: it cannot pay a
 * session (unknown account, other amount, session paid/expired, risk block) and is being given back;
 * returning: its Reversal is sent and awaits its verified outcome; returned: the money is back with
 * the payer (returnReceipt); return_failed: M-Pesa refused the reversal, an operator must act.
 */
export const MPESA_C2B_STATUSES = [
  'applying',
  'applied',
  'waiting',
  'unmatched',
  'returning',
  'returned',
  'return_failed',
] as const;

/**
 * Every C2B payment to our shortcode that paykit has verified (by Pull Transactions), once per
 * M-Pesa receipt (TransID): from its confirmation, or found by the Pull Transactions sweep when
 * the confirmation never came. A receipt that cannot pay its session is given back by Reversal
 * (the customer paid: nobody may keep that money silently).
 */
export const mpesaC2bPayments = pgTable(
  'mpesa_c2b_payments',
  {
    transId: text().primaryKey(),
    accountNumber: text().notNull(),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    msisdn: text().notNull(),
    source: text({ enum: ['confirmation', 'pull'] }).notNull(),
    /** paybill: names its session by accountNumber; till (Buy Goods): no account, by payer and amount (mpesa_till_sessions). */
    kind: text({ enum: ['paybill', 'till'] }).notNull().default('paybill'),
    status: text({ enum: MPESA_C2B_STATUSES }).notNull(),
    attemptId: text().references(() => paymentAttempts.id),
    note: text(),
    /** When the current applier claimed it: an `applying` row older than the lease is taken over. */
    claimedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The M-Pesa receipt of the Reversal that gave an unappliable payment back. */
    returnReceipt: text(),
    returnedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // one receipt per attempt: a taken-over claim can adopt the crashed applier's attempt, never two receipts one attempt
    uniqueIndex('mpesa_c2b_payments_attempt_key')
      .on(t.attemptId)
      .where(sql`${t.attemptId} is not null`),
    // the Paybill cron's worklist
    index('mpesa_c2b_payments_status_idx').on(t.status, t.claimedAt),
  ],
);
export type MpesaC2bPayment = typeof mpesaC2bPayments.$inferSelect;

/**
 * Pay with Till (Buy Goods): a Buy Goods payment carries no account number, only the payer's
 * MSISDN and the amount. So the pay page asks which phone the customer will pay from, and this row
 * says "a payment of amount_minor from phone pays this session". Validation accepts a till payment
 * only when exactly one open session expects that phone and amount, and records the receipt it
 * accepted (validatedTransId) so the confirmation pays that very session.
 */
export const mpesaTillSessions = pgTable(
  'mpesa_till_sessions',
  {
    checkoutSessionId: text()
      .primaryKey()
      .references(() => checkoutSessions.id),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    /** Normalized MSISDN the customer said they pay from (they may change it: the row is updated). */
    phone: text().notNull(),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    /** The receipt (TransID) the ValidationURL accepted for this session, if any. */
    validatedTransId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // validation and the Pull sweep look for the sessions expecting this phone and amount
    index('mpesa_till_sessions_phone_amount_idx').on(t.phone, t.amountMinor),
    // the confirmation finds the session its receipt was validated for
    uniqueIndex('mpesa_till_sessions_validated_key')
      .on(t.validatedTransId)
      .where(sql`${t.validatedTransId} is not null`),
  ],
);
export type MpesaTillSession = typeof mpesaTillSessions.$inferSelect;
