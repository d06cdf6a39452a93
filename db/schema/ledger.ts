import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/**
 * Double-entry ledger. Amounts are signed integer minor units: debit positive, credit negative.
 * Triggers in the `ledger_guards` migration keep journal transactions balanced per currency and
 * refuse UPDATE/DELETE on journal transactions and entries (corrections are reversing postings).
 *
 * Hot-row note: journal tables deliberately carry no foreign key to ledger_accounts or merchants.
 * A foreign key check takes FOR KEY SHARE on the parent row, and every capture touches the same
 * PSP clearing and fee accounts: that shared lock on one row would serialize the whole system.
 * Account rows are immutable and written by the posting statement itself, so the reference holds.
 */

export const LEDGER_ACCOUNT_KINDS = [
  'merchant_pending',
  'merchant_available',
  'psp_clearing',
  'fee_revenue',
  'bank',
  'refunds_in_transit',
  // payouts on their way from our bank to merchants' banks (lib/payouts)
  'payout_clearing',
] as const;
export type LedgerAccountKind = (typeof LEDGER_ACCOUNT_KINDS)[number];

export const POSTING_KINDS = ['capture', 'refund', 'refund_confirmed', 'refund_failed', 'settlement', 'reversal', 'payout', 'payout_paid', 'recon_settlement', 'recon_fee_adjustment', 'recon_write_off'] as const;
export type PostingKind = (typeof POSTING_KINDS)[number];

export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    /** Deterministic ("acct_merchant_pending.mer_x.usd"), so a posting can create it inline. */
    id: text().primaryKey(),
    kind: text({ enum: LEDGER_ACCOUNT_KINDS }).notNull(),
    merchantId: text().references(() => merchants.id),
    psp: text(),
    currency: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // getBalances and the merchant's balance-transaction list find a merchant's accounts
    index('ledger_accounts_merchant_idx').on(t.merchantId, t.currency),
  ],
);
export type LedgerAccount = typeof ledgerAccounts.$inferSelect;

export const journalTransactions = pgTable(
  'journal_transactions',
  {
    id: text().primaryKey(),
    /** Commit-independent order for listing and running balances. */
    seq: bigserial({ mode: 'number' }).notNull(),
    kind: text({ enum: POSTING_KINDS }).notNull(),
    /** The event that caused this posting; (event_id, kind) is unique so an event posts once. */
    eventId: text().notNull(),
    merchantId: text(),
    currency: text().notNull(),
    paymentIntentId: text(),
    refundId: text(),
    /** For a reversal: the journal transaction it cancels. */
    reversesId: text(),
    description: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('journal_transactions_event_kind_key').on(t.eventId, t.kind),
    // listBalanceTransactions pages a merchant's postings newest first
    index('journal_transactions_merchant_seq_idx').on(t.merchantId, t.seq),
    // reconciliation's settlement reads what a payment's postings left in the merchant's pending balance
    index('journal_transactions_payment_idx')
      .on(t.paymentIntentId)
      .where(sql`${t.paymentIntentId} is not null`),
    // a refund confirmation finds the refund posting it completes
    index('journal_transactions_refund_idx')
      .on(t.refundId)
      .where(sql`${t.refundId} is not null`),
  ],
);
export type JournalTransaction = typeof journalTransactions.$inferSelect;

export const journalEntries = pgTable(
  'journal_entries',
  {
    id: text().primaryKey(),
    transactionId: text()
      .notNull()
      .references(() => journalTransactions.id),
    accountId: text().notNull(),
    currency: text().notNull(),
    /** Debit positive, credit negative; never zero. */
    amountMinor: bigint({ mode: 'number' }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('journal_entries_amount_nonzero', sql`${t.amountMinor} <> 0`),
    // the balance trigger and the transaction listing read a transaction's entries
    index('journal_entries_transaction_idx').on(t.transactionId),
    // wallet = sum of entries audits read one account's entries
    index('journal_entries_account_idx').on(t.accountId),
  ],
);
export type JournalEntry = typeof journalEntries.$inferSelect;

/**
 * Balance projection, sharded: an account's balance is the sum of its shard rows, in the
 * account's natural sign (credit-normal accounts such as merchant wallets are positive when
 * they owe the merchant). Credits go to a random shard without any lock on the account, so a
 * hot merchant does not serialize; debits of guarded accounts check the sum under an advisory
 * lock on the account (lib/ledger/post.ts).
 */
export const ledgerBalances = pgTable(
  'ledger_balances',
  {
    accountId: text().notNull(),
    shard: smallint().notNull(),
    balanceMinor: bigint({ mode: 'number' }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.shard] })],
);
export type LedgerBalance = typeof ledgerBalances.$inferSelect;

/**
 * Per payment: what the ledger has captured and refunded. Refunds lock this row, so the
 * refundable amount (captured - refunded) is checked against the ledger's own state.
 */
export const ledgerPaymentStates = pgTable(
  'ledger_payment_states',
  {
    paymentIntentId: text().primaryKey(),
    merchantId: text().notNull(),
    currency: text().notNull(),
    psp: text().notNull(),
    capturedMinor: bigint({ mode: 'number' }).notNull().default(0),
    feeMinor: bigint({ mode: 'number' }).notNull().default(0),
    refundedMinor: bigint({ mode: 'number' }).notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'ledger_payment_states_refund_within_capture',
      sql`${t.refundedMinor} >= 0 and ${t.refundedMinor} <= ${t.capturedMinor}`,
    ),
  ],
);
export type LedgerPaymentState = typeof ledgerPaymentStates.$inferSelect;

/** Per-merchant pricing; a missing row means the default schedule (lib/ledger/fees.ts). */
export const merchantFeeSchedules = pgTable(
  'merchant_fee_schedules',
  {
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    currency: text().notNull(),
    percentBps: integer().notNull(),
    fixedMinor: bigint({ mode: 'number' }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.currency] }),
    check('merchant_fee_schedules_sane', sql`${t.percentBps} between 0 and 10000 and ${t.fixedMinor} >= 0`),
  ],
);
export type MerchantFeeSchedule = typeof merchantFeeSchedules.$inferSelect;

/** Wallet settings per merchant and currency; a missing row means no overdraft. */
export const walletSettings = pgTable(
  'wallet_settings',
  {
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    currency: text().notNull(),
    /** How far below zero the available balance may go (a positive number of minor units). */
    overdraftLimitMinor: bigint({ mode: 'number' }).notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.currency] }),
    check('wallet_settings_overdraft_nonnegative', sql`${t.overdraftLimitMinor} >= 0`),
  ],
);
export type WalletSettings = typeof walletSettings.$inferSelect;
