import { bigint, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { merchants } from './merchants';
import { paymentIntents } from './payments';

/**
 * One receipt per outbox event that earns one (a payment or a refund that succeeded). The row is
 * a snapshot: what the customer was told stays the same even if the merchant is renamed later.
 * The id is the receipt page's address, so it is random (rcpt_ + 24 base62 characters, ~142 bits).
 */
export const receipts = pgTable(
  'receipts',
  {
    id: text().primaryKey(),
    /** The outbox event this receipt answers: unique, so a redelivered event never sends twice. */
    eventId: text().notNull(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    kind: text({ enum: ['payment', 'refund'] }).notNull(),
    paymentIntentId: text()
      .notNull()
      .references(() => paymentIntents.id),
    refundId: text(),
    merchantName: text().notNull(),
    amount: bigint({ mode: 'number' }).notNull(),
    currency: text().notNull(),
    /** "Visa •••• 4242" or "M-Pesa QKX12AB34C": never more of a card than its last four. */
    methodLabel: text().notNull(),
    /** Null when there is nobody to send to; the receipt page still works. */
    email: text(),
    /** sent: handed to SMTP or the local mailbox; skipped: no email address, or receipts are off. */
    status: text({ enum: ['pending', 'sent', 'skipped'] }).notNull(),
    skipReason: text(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('receipts_event_key').on(t.eventId),
    // the dashboard and tests find a payment's receipts
    index('receipts_payment_intent_idx').on(t.paymentIntentId),
  ],
);
export type Receipt = typeof receipts.$inferSelect;

/**
 * The local mailbox: where email goes when no SMTP server is configured (the offline demo and
 * tests). Shown at /dev/mailbox outside production.
 */
export const mailboxMessages = pgTable(
  'mailbox_messages',
  {
    id: text().primaryKey(),
    /** The receipt it carries: unique, so one receipt lands once. */
    receiptId: text()
      .notNull()
      .references(() => receipts.id),
    from: text().notNull(),
    to: text().notNull(),
    subject: text().notNull(),
    text: text().notNull(),
    html: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('mailbox_messages_receipt_key').on(t.receiptId),
    // the mailbox page lists newest first, optionally for one address
    index('mailbox_messages_to_created_idx').on(t.to, t.createdAt.desc()),
  ],
);
export type MailboxMessage = typeof mailboxMessages.$inferSelect;
