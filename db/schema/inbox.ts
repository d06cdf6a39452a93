import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Inbound PSP callbacks, stored raw before anything is done with them, so a callback is never
 * lost once we answered 2xx. The PSP's event id is unique per PSP: a redelivered callback is one
 * row. Processing (through the payment state machine) happens later and is recorded here.
 */
export const pspInbox = pgTable(
  'psp_inbox',
  {
    id: text().primaryKey(),
    psp: text().notNull(),
    /** The PSP's own id for this callback event; redeliveries keep it. */
    pspEventId: text().notNull(),
    /** Request headers, minus credentials (Authorization, Cookie). */
    headers: jsonb().$type<Record<string, string>>().notNull(),
    /** The body exactly as received (the signature covers these bytes). */
    rawBody: text().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp({ withTimezone: true }),
    /** What processing decided (applied, stale, left_to_capture_flow, ...), for operators. */
    outcome: text(),
    processError: text(),
    attempts: integer().notNull().default(0),
  },
  (t) => [
    // the insert's ON CONFLICT target: one row per PSP event, however often it is delivered
    uniqueIndex('psp_inbox_psp_event_key').on(t.psp, t.pspEventId),
    // the sweep finds rows left unprocessed (e.g. the engine was down when they arrived)
    index('psp_inbox_unprocessed_idx').on(t.receivedAt).where(sql`${t.processedAt} is null`),
  ],
);
export type PspInboxMessage = typeof pspInbox.$inferSelect;
