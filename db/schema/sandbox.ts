import { bigint, boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The offline sandbox card network's own state. It lives in the same database for zero-config
 * convenience but is only ever reached over HTTP, like a real PSP. No PAN or CVC is stored:
 * a token keeps the brand, BIN, last4, a keyed fingerprint and the issuer behaviour of the card.
 */
export const sandboxCardTokens = pgTable('sandbox_card_tokens', {
  id: text().primaryKey(),
  brand: text({ enum: ['visa', 'mastercard', 'amex'] }).notNull(),
  bin: text().notNull(),
  last4: text().notNull(),
  expMonth: integer().notNull(),
  expYear: integer().notNull(),
  fingerprint: text().notNull(),
  /** How the simulated issuer treats this card (a test card's behaviour, or "approve"). */
  issuerProfile: text().notNull(),
  riskLevel: text({ enum: ['normal', 'elevated', 'highest'] }).notNull(),
  /**
   * The platform's sub-merchant the token was created for (the Sandbox-Account header, like
   * Stripe-Account for a connected account); null: the platform account itself. Only that
   * account can read or charge it.
   */
  account: text(),
  /**
   * Never used up: Stripe's pm_card_* test payment methods (shared by every account), and cards
   * on file (card_on_file, below), which only their own account may charge.
   */
  reusable: boolean().notNull().default(false),
  /**
   * A card on file: the reusable credential the network issues in exchange for a single-use
   * token when a merchant saves the card for a customer. Bound to the token's account.
   */
  cardOnFile: boolean().notNull().default(false),
  /** The single-use token a card on file was issued for (one card on file per token). */
  sourceTokenId: text().unique(),
  /** Set by the one payment request that used the token: a token is single use. */
  usedAt: timestamp({ withTimezone: true }),
  /** That request's Idempotency-Key: its retries are the same use, any other key is refused. */
  usedByIdempotencyKey: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type SandboxCardToken = typeof sandboxCardTokens.$inferSelect;

export const SANDBOX_PAYMENT_STATUSES = ['requires_action', 'authorized', 'captured', 'declined', 'canceled'] as const;
export type SandboxPaymentStatus = (typeof SANDBOX_PAYMENT_STATUSES)[number];

export const sandboxCardPayments = pgTable(
  'sandbox_card_payments',
  {
    id: text().primaryKey(),
    /** The acquirer's Idempotency-Key: a retried request returns the first result. */
    idempotencyKey: text().notNull(),
    requestHash: text().notNull(),
    tokenId: text()
      .notNull()
      .references(() => sandboxCardTokens.id),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    captureAutomatically: boolean().notNull(),
    status: text({ enum: SANDBOX_PAYMENT_STATUSES }).notNull(),
    amountCaptured: bigint({ mode: 'number' }).notNull().default(0),
    declineCode: text(),
    declineMessage: text(),
    threeDsStatus: text({ enum: ['not_required', 'pending', 'succeeded', 'failed'] }).notNull(),
    /** The merchant charged a saved card without the cardholder present (no 3-D Secure possible). */
    offSession: boolean().notNull().default(false),
    returnUrl: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('sandbox_card_payments_idempotency_key').on(t.idempotencyKey),
    index('sandbox_card_payments_created_idx').on(t.createdAt),
  ],
);
export type SandboxCardPayment = typeof sandboxCardPayments.$inferSelect;

export const SANDBOX_REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type SandboxRefundStatus = (typeof SANDBOX_REFUND_STATUSES)[number];

/**
 * A refund of part or all of a captured sandbox payment. Immutable once its outcome is known:
 * a correction is another refund. Failed refunds do not count against the captured amount.
 */
export const sandboxCardRefunds = pgTable(
  'sandbox_card_refunds',
  {
    id: text().primaryKey(),
    /** The acquirer's Idempotency-Key: a retried request returns the first refund. */
    idempotencyKey: text().notNull(),
    requestHash: text().notNull(),
    paymentId: text()
      .notNull()
      .references(() => sandboxCardPayments.id),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    status: text({ enum: SANDBOX_REFUND_STATUSES }).notNull(),
    failureReason: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('sandbox_card_refunds_idempotency_key').on(t.idempotencyKey),
    // The refunded-so-far sum, taken under the payment's row lock before every new refund.
    index('sandbox_card_refunds_payment_idx').on(t.paymentId),
  ],
);

export type SandboxCardRefund = typeof sandboxCardRefunds.$inferSelect;
