import { and, desc, eq, sql } from 'drizzle-orm';
import { getDb, type DbOrTx } from '@/db/client';
import {
  mailboxMessages,
  merchants,
  mpesaPayments,
  paymentAttempts,
  paymentIntents,
  receipts,
  refunds,
  type MailboxMessage,
  type Receipt,
} from '@/db/schema';
import { recordAudit } from '@/lib/audit';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { assertCan, auditActor, type Actor } from '@/lib/team/actor';
import { methodLabel } from './method-label';
import { receiptView, renderReceiptEmail, type ReceiptView } from './render';
import { sendViaSmtp, smtpSettings, type SmtpSettings } from './transport';

export { cardBrandName, methodLabel } from './method-label';
export { receiptView, renderReceiptEmail, type ReceiptView } from './render';

/** The outbox events that earn the customer a receipt. */
export const RECEIPT_EVENT_TYPES = ['payment_intent.succeeded', 'refund.succeeded'] as const;
export type ReceiptEventType = (typeof RECEIPT_EVENT_TYPES)[number];

export interface ReceiptEvent {
  eventId: string;
  type: ReceiptEventType;
  /** The payment intent (payment_intent.succeeded) or the refund (refund.succeeded). */
  aggregateId: string;
  /** The attempt that succeeded, for payment events. */
  attemptId?: string | null;
}

export interface SendReceiptResult {
  receiptId: string;
  status: Receipt['status'];
  /** False when this event's receipt had already been handled (a redelivered event). */
  sentNow: boolean;
  transport: 'smtp' | 'mailbox' | null;
}

export interface ReceiptOptions {
  smtp?: SmtpSettings | null;
  from?: string;
  appUrl?: string;
}

/**
 * Records and sends the receipt an event earns. Exactly once per event: the receipt row is
 * unique per event id, and a receipt leaves 'pending' only once. To the local mailbox, the message
 * and that status change are one transaction. Over SMTP the mail is sent before the row is marked,
 * so a crash in between resends it once with the same Message-ID (the receipt id), which mail
 * servers and clients use to drop duplicates; nothing is ever sent for a receipt already marked.
 */
export async function sendReceiptForEvent(db: DbOrTx, event: ReceiptEvent, options: ReceiptOptions = {}): Promise<SendReceiptResult> {
  const e = env();
  const smtp = options.smtp === undefined ? smtpSettings(e) : options.smtp;
  const from = options.from ?? e.SMTP_FROM;
  const appUrl = options.appUrl ?? e.APP_URL;

  const receipt = await recordReceipt(db, event);
  if (receipt.status !== 'pending') return { receiptId: receipt.id, status: receipt.status, sentNow: false, transport: null };
  if (!receipt.email) throw new Error(`receipt ${receipt.id} is pending without an email address`);

  const mail = { receiptId: receipt.id, from, to: receipt.email, ...renderReceiptEmail(receiptView(receipt, appUrl)) };
  if (smtp) {
    await sendViaSmtp(smtp, mail);
    const marked = await markSent(db, receipt.id);
    return { receiptId: receipt.id, status: 'sent', sentNow: marked, transport: 'smtp' };
  }
  // the status change and the message in one statement: both or neither, and only once (drizzle
  // puts the embedded update in parentheses)
  const delivered = await db.execute<{ id: string }>(sql`
    with marked as ${markSentQuery(db, receipt.id)}
    insert into mailbox_messages (id, receipt_id, "from", "to", subject, text, html)
    select ${newId('mailboxMessage')}, marked.id, ${mail.from}, ${mail.to}, ${mail.subject}, ${mail.text}, ${mail.html} from marked
    returning id`);
  return { receiptId: receipt.id, status: 'sent', sentNow: delivered.length === 1, transport: 'mailbox' };
}

/** A receipt leaves 'pending' once: the update returns its id only the first time. */
const markSentQuery = (db: DbOrTx, receiptId: string) =>
  db
    .update(receipts)
    .set({ status: 'sent', sentAt: new Date() })
    .where(and(eq(receipts.id, receiptId), eq(receipts.status, 'pending')))
    .returning({ id: receipts.id });

async function markSent(db: DbOrTx, receiptId: string): Promise<boolean> {
  return (await markSentQuery(db, receiptId)).length === 1;
}

/** The event's receipt row: created on first sight (a snapshot of what was paid), found after. */
async function recordReceipt(db: DbOrTx, event: ReceiptEvent): Promise<Receipt> {
  const existing = await findByEvent(db, event.eventId);
  if (existing) return existing;
  const snapshot = event.type === 'refund.succeeded' ? await refundSnapshot(db, event) : await paymentSnapshot(db, event);
  const merchant = (await db.select().from(merchants).where(eq(merchants.id, snapshot.merchantId)))[0];
  if (!merchant) throw new Error(`merchant ${snapshot.merchantId} of ${event.aggregateId} not found`);
  const skipReason = !merchant.receiptsEnabled ? 'receipts_disabled' : !snapshot.email ? 'no_email' : null;
  const [inserted] = await db
    .insert(receipts)
    .values({
      id: newId('receipt'),
      eventId: event.eventId,
      merchantName: merchant.name,
      ...snapshot,
      status: skipReason ? 'skipped' : 'pending',
      skipReason,
    })
    .onConflictDoNothing({ target: receipts.eventId })
    .returning();
  if (inserted) return inserted;
  // another run recorded it between the look and the insert
  const row = await findByEvent(db, event.eventId);
  if (!row) throw new Error(`receipt for ${event.eventId} neither inserted nor found`);
  return row;
}

async function findByEvent(db: DbOrTx, eventId: string): Promise<Receipt | undefined> {
  return (await db.select().from(receipts).where(eq(receipts.eventId, eventId)))[0];
}

type Snapshot = Pick<Receipt, 'merchantId' | 'kind' | 'paymentIntentId' | 'refundId' | 'amount' | 'currency' | 'methodLabel' | 'email' | 'occurredAt'>;

async function paymentSnapshot(db: DbOrTx, event: ReceiptEvent): Promise<Snapshot> {
  const pi = (await db.select().from(paymentIntents).where(eq(paymentIntents.id, event.aggregateId)))[0];
  if (!pi) throw new Error(`payment intent ${event.aggregateId} not found`);
  const attemptId = event.attemptId ?? pi.latestAttemptId;
  const method = attemptId ? await attemptMethod(db, attemptId) : { label: 'Card', email: null };
  return {
    merchantId: pi.merchantId,
    kind: 'payment',
    paymentIntentId: pi.id,
    refundId: null,
    amount: pi.amountReceived > 0 ? pi.amountReceived : pi.amount,
    currency: pi.currency,
    methodLabel: method.label,
    email: method.email ?? pi.customerEmail,
    occurredAt: pi.updatedAt,
  };
}

async function refundSnapshot(db: DbOrTx, event: ReceiptEvent): Promise<Snapshot> {
  const refund = (await db.select().from(refunds).where(eq(refunds.id, event.aggregateId)))[0];
  if (!refund) throw new Error(`refund ${event.aggregateId} not found`);
  const pi = (await db.select().from(paymentIntents).where(eq(paymentIntents.id, refund.paymentIntentId)))[0];
  if (!pi) throw new Error(`payment intent ${refund.paymentIntentId} not found`);
  const method = pi.latestAttemptId ? await attemptMethod(db, pi.latestAttemptId) : { label: 'Card', email: null };
  return {
    merchantId: refund.merchantId,
    kind: 'refund',
    paymentIntentId: pi.id,
    refundId: refund.id,
    amount: refund.amount,
    currency: refund.currency,
    methodLabel: method.label,
    email: method.email ?? pi.customerEmail,
    occurredAt: refund.updatedAt,
  };
}

async function attemptMethod(db: DbOrTx, attemptId: string): Promise<{ label: string; email: string | null }> {
  const attempt = (await db.select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId)))[0];
  if (!attempt) return { label: 'Card', email: null };
  const mpesa =
    attempt.paymentMethodType === 'mpesa'
      ? (await db.select({ receipt: mpesaPayments.receiptNumber }).from(mpesaPayments).where(eq(mpesaPayments.attemptId, attemptId)))[0]
      : undefined;
  return {
    label: methodLabel({ card: attempt.card, mpesaReceipt: mpesa?.receipt ?? null, paymentMethodType: attempt.paymentMethodType }),
    email: attempt.customerEmail,
  };
}

/** A receipt by its (unguessable) id, for the receipt page; null when unknown. */
export async function findReceiptView(receiptId: string, db: DbOrTx = getDb()): Promise<ReceiptView | null> {
  if (!/^rcpt_[0-9A-Za-z]{24}$/.test(receiptId)) return null;
  const row = (await db.select().from(receipts).where(eq(receipts.id, receiptId)))[0];
  return row ? receiptView(row, env().APP_URL) : null;
}

export async function receiptsForPayment(db: DbOrTx, paymentIntentId: string): Promise<Receipt[]> {
  return db.select().from(receipts).where(eq(receipts.paymentIntentId, paymentIntentId)).orderBy(receipts.createdAt);
}

/** Whether the local mailbox page may be shown: the demo's switch is on and no SMTP takes the mail. */
export function localMailboxVisible(): boolean {
  const e = env();
  return e.DEV_MAILBOX && smtpSettings(e) === null;
}

/** The local mailbox, newest first, optionally for one address. */
export async function listMailbox(options: { to?: string; limit?: number } = {}, db: DbOrTx = getDb()): Promise<MailboxMessage[]> {
  const query = db.select().from(mailboxMessages);
  const filtered = options.to ? query.where(eq(mailboxMessages.to, options.to)) : query;
  return filtered.orderBy(desc(mailboxMessages.createdAt)).limit(options.limit ?? 50);
}

export async function setReceiptsEnabled(db: DbOrTx, merchantId: string, enabled: boolean): Promise<void> {
  const rows = await db.update(merchants).set({ receiptsEnabled: enabled }).where(eq(merchants.id, merchantId)).returning({ id: merchants.id });
  if (rows.length !== 1) throw new AppError('resource_missing', 'No such merchant.');
}

/** The dashboard's setting: owners turn receipt email on or off, and the audit log says who. */
export async function updateReceiptSetting(actor: Actor, enabled: boolean, db: DbOrTx = getDb()): Promise<void> {
  assertCan(actor, 'settings:write');
  const merchantId = actor.user.merchantId;
  await db.transaction(async (tx) => {
    await setReceiptsEnabled(tx, merchantId, enabled);
    await recordAudit(tx, { ...auditActor(actor), action: 'settings.receipts_update', targetType: 'merchant', targetId: merchantId, details: { enabled } });
  });
}

export async function receiptsEnabled(merchantId: string, db: DbOrTx = getDb()): Promise<boolean> {
  const row = (await db.select({ on: merchants.receiptsEnabled }).from(merchants).where(eq(merchants.id, merchantId)))[0];
  return row?.on ?? true;
}
