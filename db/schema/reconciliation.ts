import { sql } from 'drizzle-orm';
import { bigint, boolean, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';

/**
 * Reconciliation: each PSP's daily settlement report matched against attempts, refunds and the
 * ledger (lib/reconciliation). A run is one (PSP, report date, report hash): the same report
 * reconciled again finds its run and changes nothing.
 */

/** Every report line (and every record of ours the PSP did not report) ends in exactly one of these. */
export const RECON_OUTCOMES = [
  'matched',
  'late',
  'fee_mismatch',
  'amount_mismatch',
  'currency_mismatch',
  'duplicate_at_psp',
  'missing_here',
  'missing_at_psp',
] as const;
export type ReconOutcome = (typeof RECON_OUTCOMES)[number];

export const RECON_LINE_TYPES = ['charge', 'refund', 'chargeback', 'fee_adjustment'] as const;
export type ReconLineType = (typeof RECON_LINE_TYPES)[number];

export const reconRuns = pgTable(
  'recon_runs',
  {
    id: text().primaryKey(),
    psp: text().notNull(),
    reportDate: date({ mode: 'string' }).notNull(),
    /** sha256 of the report's lines as streamed: a re-issued report is a new run, the same one is not. */
    reportHash: text().notNull(),
    reportLines: integer().notNull(),
    /** Report lines plus our records the PSP did not report (missing_at_psp). */
    lines: integer().notNull(),
    matched: integer().notNull(),
    healed: integer().notNull().default(0),
    /** Count per outcome other than matched. */
    exceptions: jsonb().$type<Partial<Record<ReconOutcome, number>>>().notNull(),
    /** false: the PSP's report for the day was not final yet (the current day so far). */
    reportComplete: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    healedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('recon_runs_report_key').on(t.psp, t.reportDate, t.reportHash),
    // the console lists runs per PSP, newest day first
    index('recon_runs_psp_date_idx').on(t.psp, t.reportDate.desc()),
  ],
);
export type ReconRun = typeof reconRuns.$inferSelect;

/**
 * The report as the PSP sent it, COPY'd in before matching. Unlogged: it lives for one run and is
 * rebuilt from the PSP on a crash, so it need not cost WAL.
 */
export const reconStaging = pgTable(
  'recon_staging',
  {
    runId: text().notNull(),
    lineNo: integer().notNull(),
    lineId: text().notNull(),
    type: text().notNull(),
    pspReference: text(),
    merchantReference: text(),
    grossMinor: bigint({ mode: 'number' }).notNull(),
    feeMinor: bigint({ mode: 'number' }).notNull(),
    netMinor: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    bookedAt: timestamp({ withTimezone: true }).notNull(),
    availableOn: timestamp({ withTimezone: true }).notNull(),
    payoutBatchId: text(),
    phone: text(),
  },
  // the matching statement reads one run's lines
  (t) => [index('recon_staging_run_idx').on(t.runId)],
);

export const reconLines = pgTable(
  'recon_lines',
  {
    /**
     * The run (recon_runs.id). No foreign key: only classifyLines writes lines, in the transaction
     * that inserts their run, and runs are never deleted; a key would check every one of a
     * million lines with a query of its own (1,010,000 queries, 2 million buffer blocks in the bench).
     */
    runId: text().notNull(),
    psp: text().notNull(),
    /** Position in the report; null for our record the PSP did not report (missing_at_psp). */
    lineNo: integer(),
    lineId: text(),
    type: text({ enum: RECON_LINE_TYPES }).notNull(),
    pspReference: text(),
    merchantReference: text(),
    grossMinor: bigint({ mode: 'number' }).notNull(),
    feeMinor: bigint({ mode: 'number' }).notNull(),
    netMinor: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    bookedAt: timestamp({ withTimezone: true }),
    availableOn: timestamp({ withTimezone: true }),
    payoutBatchId: text(),
    outcome: text({ enum: RECON_OUTCOMES }).notNull(),
    merchantId: text(),
    paymentIntentId: text(),
    attemptId: text(),
    refundId: text(),
    /** What we have for the line: our amount, currency, fee we expected and ledger captured. */
    ours: jsonb().$type<Record<string, string | number | null>>(),
    /** How the line was healed (settled, fee_adjusted, reversed_at_psp, ...), once. */
    healAction: text(),
    healedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('recon_lines_run_idx').on(t.runId, t.outcome),
    // the payment's settlement panel and "was this line seen before" read lines per payment
    index('recon_lines_payment_idx').on(t.paymentIntentId).where(sql`${t.paymentIntentId} is not null`),
    // "was this line reported on another day" (duplicate_at_psp) looks lines up by the PSP's line id
    index('recon_lines_psp_line_idx').on(t.psp, t.lineId),
    // no index on attempt_id: its one reader (missing_at_psp's "has a line") goes through the payment's
    // index above, and a third random-order index on a million inserted lines costs more than it saves
    index('recon_lines_refund_idx').on(t.refundId).where(sql`${t.refundId} is not null`),
  ],
);
export type ReconLine = typeof reconLines.$inferSelect;

/**
 * What a matched line moved from the merchant's pending to available balance. The primary key
 * makes settlement exactly once per PSP line, whichever run (or revision of a report) sees it.
 */
export const settlementItems = pgTable(
  'settlement_items',
  {
    psp: text().notNull(),
    lineId: text().notNull(),
    runId: text().notNull(),
    merchantId: text().notNull(),
    paymentIntentId: text(),
    currency: text().notNull(),
    /** Moved pending -> available (the payment's net still in pending; 0 for a refund line). */
    releasedMinor: bigint({ mode: 'number' }).notNull(),
    grossMinor: bigint({ mode: 'number' }).notNull(),
    pspFeeMinor: bigint({ mode: 'number' }).notNull(),
    /** The event id of the recon_settlement posting that moved it (committed together with this row). */
    postingEventId: text().notNull(),
    availableOn: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('settlement_items_line_key').on(t.psp, t.lineId),
    // the payment's settlement panel
    index('settlement_items_payment_idx').on(t.paymentIntentId),
    // a payout's report breaks each recon_settlement posting into the lines it settled
    index('settlement_items_posting_idx').on(t.postingEventId),
  ],
);
export type SettlementItem = typeof settlementItems.$inferSelect;

export const RECON_EXCEPTION_STATUSES = ['open', 'resolved', 'written_off', 'refunded'] as const;

/** A line reconciliation could not heal on its own: for a person, with the evidence. */
export const reconExceptions = pgTable(
  'recon_exceptions',
  {
    id: text().primaryKey(),
    psp: text().notNull(),
    runId: text().notNull(),
    kind: text({ enum: RECON_OUTCOMES }).notNull(),
    /** The PSP line id, or the attempt/refund id for missing_at_psp: one exception per thing. */
    subject: text().notNull(),
    merchantId: text().references(() => merchants.id),
    paymentIntentId: text(),
    amountMinor: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    /** The report line and our records side by side. */
    evidence: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: RECON_EXCEPTION_STATUSES }).notNull().default('open'),
    note: text(),
    resolvedBy: text(),
    resolvedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('recon_exceptions_subject_key').on(t.psp, t.kind, t.subject),
    // the console's queue: open exceptions, oldest first
    index('recon_exceptions_open_idx').on(t.createdAt).where(sql`${t.status} = 'open'`),
  ],
);
export type ReconException = typeof reconExceptions.$inferSelect;
