import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The offline Daraja sandbox's own books (beside sandbox_mpesa_stk_requests in mpesa.ts). Like the
 * card sandbox, it shares the database for zero-config convenience but is reached only over HTTP:
 * nothing in lib/ outside sandbox/mpesa reads these tables.
 */

/** The sandbox's RSA key pair and self-signed certificate, generated once per install. */
export const sandboxMpesaKeys = pgTable('sandbox_mpesa_keys', {
  id: text().primaryKey(),
  privateKeyPem: text().notNull(),
  certificatePem: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type SandboxMpesaKey = typeof sandboxMpesaKeys.$inferSelect;

export const SANDBOX_MPESA_C2B_RESPONSE_TYPES = ['Completed', 'Cancelled'] as const;

/**
 * One business shortcode: its API initiator (generated per install on first use), its registered
 * C2B and Pull Transactions URLs. Balances are not stored here: they are the latest balance_after
 * of the shortcode's ledger rows, and this row is the lock that serializes money movements on it.
 */
export const sandboxMpesaShortcodes = pgTable('sandbox_mpesa_shortcodes', {
  shortcode: text().primaryKey(),
  organizationName: text().notNull(),
  initiatorName: text().notNull(),
  /** The initiator's password in clear: the sandbox must decrypt SecurityCredential and compare. */
  initiatorPassword: text().notNull(),
  c2bConfirmationUrl: text(),
  c2bValidationUrl: text(),
  c2bResponseType: text({ enum: SANDBOX_MPESA_C2B_RESPONSE_TYPES }),
  /** 'v1' or 'v2' of registerurl: v2 masks the payer's MSISDN in validation and confirmation. */
  c2bApiVersion: text({ enum: ['v1', 'v2'] }),
  pullCallbackUrl: text(),
  pullNominatedNumber: text(),
  pullRegisteredAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type SandboxMpesaShortcode = typeof sandboxMpesaShortcodes.$inferSelect;

export const SANDBOX_MPESA_ACCOUNTS = ['utility', 'working', 'merchant', 'charges_paid'] as const;
export type SandboxMpesaAccount = (typeof SANDBOX_MPESA_ACCOUNTS)[number];

export const SANDBOX_MPESA_TRANSACTION_KINDS = ['stk', 'c2b_paybill', 'c2b_buygoods', 'b2c', 'reversal'] as const;
export type SandboxMpesaTransactionKind = (typeof SANDBOX_MPESA_TRANSACTION_KINDS)[number];

/**
 * The shortcode's statement: one immutable row per money movement on one of its accounts, in
 * cents. Exactly one of paid_in_cents / withdrawn_cents is positive; balance_after_cents is the
 * account's balance after this row, computed under the shortcode row lock.
 */
export const sandboxMpesaTransactions = pgTable(
  'sandbox_mpesa_transactions',
  {
    /** The M-Pesa receipt (TransID), e.g. SKB7XYZ123. */
    id: text().primaryKey(),
    /** Posting order: rows of one transaction share created_at, so the latest balance is the highest seq. */
    seq: bigserial({ mode: 'number' }).notNull(),
    shortcode: text()
      .notNull()
      .references(() => sandboxMpesaShortcodes.shortcode),
    kind: text({ enum: SANDBOX_MPESA_TRANSACTION_KINDS }).notNull(),
    account: text({ enum: SANDBOX_MPESA_ACCOUNTS }).notNull(),
    paidInCents: bigint({ mode: 'bigint' }).notNull(),
    withdrawnCents: bigint({ mode: 'bigint' }).notNull(),
    balanceAfterCents: bigint({ mode: 'bigint' }).notNull(),
    /** The customer's number (payer of a receipt, payee of a B2C or reversal). */
    msisdn: text().notNull(),
    customerName: text().notNull(),
    /** BillRefNumber of a Paybill payment, AccountReference of an STK push. */
    billReference: text().notNull().default(''),
    /** The receipt a reversal undoes. */
    originalTransactionId: text(),
    /** The API request that moved the money (B2C, reversal), for Transaction Status by OriginatorConversationID. */
    conversationId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the latest row per account gives the balance; the statement and Pull Transactions read by time
    index('sandbox_mpesa_tx_shortcode_idx').on(t.shortcode, t.account, t.seq),
    index('sandbox_mpesa_tx_time_idx').on(t.shortcode, t.createdAt),
    // a receipt is reversed at most once
    uniqueIndex('sandbox_mpesa_tx_reversal_key')
      .on(t.originalTransactionId)
      .where(sql`${t.kind} = 'reversal'`),
  ],
);
export type SandboxMpesaTransaction = typeof sandboxMpesaTransactions.$inferSelect;

export const SANDBOX_MPESA_REQUEST_APIS = ['b2c', 'reversal', 'transaction_status', 'account_balance'] as const;
export type SandboxMpesaRequestApi = (typeof SANDBOX_MPESA_REQUEST_APIS)[number];

/**
 * One accepted asynchronous request (B2C, reversal, Transaction Status, Account Balance) and the
 * Result it produced. The Result body is stored once, so a duplicate delivery is byte-identical
 * and Transaction Status can report the outcome of a B2C or reversal whose Result was lost.
 */
export const sandboxMpesaRequests = pgTable(
  'sandbox_mpesa_requests',
  {
    /** ConversationID, e.g. AG_20261201_0100 + 16 hex characters. */
    conversationId: text().primaryKey(),
    originatorConversationId: text().notNull(),
    api: text({ enum: SANDBOX_MPESA_REQUEST_APIS }).notNull(),
    shortcode: text().notNull(),
    /** sha256 of the canonical request body: a retried B2C with the same OriginatorConversationID must be the same request. */
    requestHash: text().notNull(),
    resultUrl: text().notNull(),
    queueTimeoutUrl: text().notNull(),
    /** 'completed' (a Result exists) or 'timed_out' (never processed: only QueueTimeOutURL was called). */
    status: text({ enum: ['completed', 'timed_out'] }).notNull(),
    resultCode: integer(),
    resultDesc: text(),
    transactionId: text(),
    amountCents: bigint({ mode: 'bigint' }),
    resultBody: jsonb(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // B2C v3 retries and Transaction Status look requests up by the caller's id
    uniqueIndex('sandbox_mpesa_requests_originator_key').on(t.api, t.originatorConversationId),
  ],
);
export type SandboxMpesaRequest = typeof sandboxMpesaRequests.$inferSelect;

/** The SMS each simulated phone received (payment confirmations, reversals, B2C payments). */
export const sandboxMpesaSms = pgTable(
  'sandbox_mpesa_sms',
  {
    id: text().primaryKey(),
    msisdn: text().notNull(),
    body: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the phone lists its newest messages
    index('sandbox_mpesa_sms_msisdn_idx').on(t.msisdn, t.createdAt),
  ],
);
export type SandboxMpesaSms = typeof sandboxMpesaSms.$inferSelect;
