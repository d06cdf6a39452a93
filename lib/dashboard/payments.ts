import { and, asc, desc, eq, gte, ilike, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import {
  checkoutSessions,
  journalEntries,
  journalTransactions,
  ledgerAccounts,
  mpesaPayments,
  outboxEvents,
  PAYMENT_INTENT_STATUSES,
  paymentAttempts,
  paymentIntents,
  refunds,
  type PaymentIntentStatus,
} from '@/db/schema';
import { SUPPORTED_CURRENCIES } from '@/lib/money';
import { keysetPage, nextCursor } from '@/lib/pagination';
import { refundedAmounts } from '@/lib/refunds';
import { listDeliveriesForEvent } from '@/lib/webhooks/deliveries';
import { listPaymentDisputes } from './disputes';
import { paymentDisplayStatus, type DisplayStatus } from './status-labels';

export interface PaymentRow {
  id: string;
  amount: number;
  amountReceived: number;
  currency: string;
  status: PaymentIntentStatus;
  email: string | null;
  card: { brand: string; last4: string } | null;
  method: string | null;
  psp: string | null;
  createdAt: Date;
  /** Refunded so far (pending and succeeded refunds), minor units. */
  amountRefunded: number;
  /** Status of the newest dispute, if the payment has one. */
  disputeStatus: string | null;
  /** Attempts that were declined or failed (each one a try the customer made). */
  failedAttempts: number;
  /** The newest attempt was blocked by the risk rules. */
  blockedByRisk: boolean;
  /** The label and meaning the dashboard shows. */
  display: DisplayStatus;
}

export const PAYMENT_METHODS = ['card', 'mpesa'] as const;
export const PSPS = ['sandbox_card', 'stripe', 'daraja'] as const;

const optionalText = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((v) => (v ? v : undefined));
const isoDay = z
  .string()
  .optional()
  .transform((v) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ? v : undefined));

/**
 * The list filters as they come from the URL (page and CSV export share them). Unknown or
 * malformed values are dropped rather than refused: a hand-edited URL still shows a list.
 */
export const paymentFiltersSchema = z.object({
  q: optionalText,
  status: z
    .string()
    .optional()
    .transform((v) => PAYMENT_INTENT_STATUSES.find((s) => s === v)),
  method: z
    .string()
    .optional()
    .transform((v) => PAYMENT_METHODS.find((m) => m === v)),
  psp: z
    .string()
    .optional()
    .transform((v) => PSPS.find((p) => p === v)),
  currency: z
    .string()
    .optional()
    .transform((v) => SUPPORTED_CURRENCIES.find((c) => c === v?.toLowerCase())),
  /** Inclusive UTC days, YYYY-MM-DD. */
  from: isoDay,
  to: isoDay,
});
export type PaymentFilters = z.output<typeof paymentFiltersSchema>;

export function parsePaymentFilters(params: Record<string, string | string[] | undefined>): PaymentFilters {
  const flat = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const keys = ['q', 'status', 'method', 'psp', 'currency', 'from', 'to'];
  return paymentFiltersSchema.parse(Object.fromEntries(keys.map((k) => [k, flat[k]])));
}

/** A search term that is a Kenyan phone number, normalized as M-Pesa stores it (2547.../2541...). */
function mpesaPhoneQuery(q: string): string | null {
  const digits = q.replace(/[\s+-]/g, '');
  const m = /^(?:254|0)?([17]\d{8})$/.exec(digits);
  return m ? `254${m[1]}` : null;
}

function filterConditions(merchantId: string, f: Partial<PaymentFilters>): SQL[] {
  const conditions: SQL[] = [eq(paymentIntents.merchantId, merchantId)];
  if (f.status) conditions.push(eq(paymentIntents.status, f.status));
  if (f.currency) conditions.push(eq(paymentIntents.currency, f.currency));
  if (f.method) conditions.push(eq(paymentAttempts.paymentMethodType, f.method));
  if (f.psp) conditions.push(eq(paymentAttempts.psp, f.psp));
  if (f.from) conditions.push(gte(paymentIntents.createdAt, new Date(`${f.from}T00:00:00Z`)));
  if (f.to) conditions.push(lt(paymentIntents.createdAt, new Date(Date.parse(`${f.to}T00:00:00Z`) + 86_400_000)));
  if (f.q) {
    const q = f.q;
    const anyAttemptWithLast4 = sql`exists (select 1 from ${paymentAttempts} pa where pa.payment_intent_id = ${paymentIntents.id} and pa.card->>'last4' = ${q})`;
    const phone = mpesaPhoneQuery(q);
    // an M-Pesa payment is found by the customer's phone (any common spelling) or its receipt number
    const mpesaMatch = phone
      ? sql`exists (select 1 from mpesa_payments mp join ${paymentAttempts} pa on pa.id = mp.attempt_id where pa.payment_intent_id = ${paymentIntents.id} and mp.phone = ${phone})`
      : sql`exists (select 1 from mpesa_payments mp join ${paymentAttempts} pa on pa.id = mp.attempt_id where pa.payment_intent_id = ${paymentIntents.id} and upper(mp.receipt_number) = ${q.toUpperCase()})`;
    const search = /^\d{4}$/.test(q)
      ? anyAttemptWithLast4
      : q.includes('@')
        ? sql`lower(${paymentIntents.customerEmail}) = ${q.toLowerCase()}`
        : or(
            eq(paymentIntents.id, q),
            ilike(paymentIntents.customerEmail, `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
            mpesaMatch,
          );
    if (search) conditions.push(search);
  }
  return conditions;
}

/** A merchant's payments, newest first, filtered, with the method, PSP and card of the latest attempt. */
export async function listMerchantPayments(
  merchantId: string,
  options: Partial<PaymentFilters> & { before?: string; limit?: number; customerId?: string } = {},
): Promise<{ rows: PaymentRow[]; nextCursor: string | null }> {
  const db = getDb();
  const conditions = filterConditions(merchantId, options);
  // a customer's page lists that customer's payments (the Customers section)
  if (options.customerId) conditions.push(eq(paymentIntents.customerId, options.customerId));
  const page = await keysetPage({
    request: { limit: Math.min(Math.max(options.limit ?? 25, 1), 500), starting_after: options.before },
    table: paymentIntents,
    id: paymentIntents.id,
    keys: [paymentIntents.createdAt, paymentIntents.id],
    scope: eq(paymentIntents.merchantId, merchantId),
    unknownCursor: 'first_page',
    query: ({ where, orderBy, limit }) =>
      db
        .select({
          pi: paymentIntents,
          card: paymentAttempts.card,
          method: paymentAttempts.paymentMethodType,
          psp: paymentAttempts.psp,
          blockedByRisk: sql<boolean>`coalesce(${paymentAttempts.riskDecision} = 'block', false)`,
          // a declined try stays visible on the row even after a later attempt succeeded
          failedAttempts: sql<number>`(select count(*)::int from ${paymentAttempts} fa where fa.payment_intent_id = ${paymentIntents.id} and fa.status = 'failed')`,
          disputeStatus: sql<
            string | null
          >`(select pd.status from payment_disputes pd where pd.payment_intent_id = ${paymentIntents.id} order by pd.disputed_at desc limit 1)`,
        })
        .from(paymentIntents)
        .leftJoin(paymentAttempts, eq(paymentAttempts.id, paymentIntents.latestAttemptId))
        .where(and(...conditions, where))
        .orderBy(...orderBy)
        .limit(limit),
  });
  const refunded = await refundedAmounts(
    db,
    page.rows.map((r) => r.pi.id),
  );
  const rows = page.rows.map(({ pi, card, method, psp, blockedByRisk, failedAttempts, disputeStatus }) => {
    const amountRefunded = refunded.get(pi.id) ?? 0;
    const facts = { status: pi.status, amountReceived: pi.amountReceived, amountRefunded, disputeStatus, blockedByRisk, failedAttempts };
    return {
      id: pi.id,
      amount: pi.amount,
      amountReceived: pi.amountReceived,
      currency: pi.currency,
      status: pi.status,
      email: pi.customerEmail,
      card: card ? { brand: card.brand, last4: card.last4 } : null,
      method,
      psp,
      createdAt: pi.createdAt,
      amountRefunded,
      disputeStatus,
      failedAttempts,
      blockedByRisk,
      display: paymentDisplayStatus(facts),
    };
  });
  return { rows, nextCursor: nextCursor(page, (r) => r.pi.id) };
}

export const CSV_COLUMNS = [
  'id',
  'created_utc',
  'amount_minor',
  'amount_received_minor',
  'amount_refunded_minor',
  'currency',
  'status',
  'customer_email',
  'method',
  'psp',
  'card_brand',
  'card_last4',
] as const;

/** RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as a formula. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The filtered payments as CSV, one chunk per page of rows, so an export of any size streams
 * with bounded memory. Scoped to the merchant by every query it makes.
 */
export async function* paymentsCsv(merchantId: string, filters: Partial<PaymentFilters>, pageSize = 500): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  let before: string | undefined;
  for (;;) {
    const { rows, nextCursor } = await listMerchantPayments(merchantId, { ...filters, before, limit: pageSize });
    const refunded = await refundedAmounts(
      getDb(),
      rows.map((r) => r.id),
    );
    const lines = rows.map((r) =>
      [
        r.id,
        r.createdAt.toISOString(),
        r.amount,
        r.amountReceived,
        refunded.get(r.id) ?? 0,
        r.currency,
        r.status,
        r.email,
        r.method,
        r.psp,
        r.card?.brand,
        r.card?.last4,
      ]
        .map(csvCell)
        .join(','),
    );
    if (lines.length) yield `${lines.join('\r\n')}\r\n`;
    if (!nextCursor) return;
    before = nextCursor;
  }
}

/** Everything the payment detail page shows; null when the payment is not this merchant's. */
export async function getMerchantPaymentDetail(merchantId: string, id: string) {
  const db = getDb();
  const [pi] = await db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)));
  if (!pi) return null;
  const attempts = await db
    .select()
    .from(paymentAttempts)
    .where(eq(paymentAttempts.paymentIntentId, pi.id))
    .orderBy(asc(paymentAttempts.createdAt));
  const refundRows = await db
    .select()
    .from(refunds)
    .where(and(eq(refunds.paymentIntentId, pi.id), eq(refunds.merchantId, merchantId)))
    .orderBy(asc(refunds.createdAt));
  // The timeline: the payment's own events and its refunds' events, in outbox order.
  const aggregateIds = [pi.id, ...refundRows.map((r) => r.id)];
  const events = await db
    .select({ id: outboxEvents.id, type: outboxEvents.type, createdAt: outboxEvents.createdAt })
    .from(outboxEvents)
    .where(and(eq(outboxEvents.merchantId, merchantId), inArray(outboxEvents.aggregateId, aggregateIds)))
    .orderBy(asc(outboxEvents.seq));
  const [session] = pi.checkoutSessionId
    ? await db
        .select()
        .from(checkoutSessions)
        .where(and(eq(checkoutSessions.id, pi.checkoutSessionId), eq(checkoutSessions.merchantId, merchantId)))
    : [];
  const ledger = await db
    .select({
      transactionId: journalTransactions.id,
      kind: journalTransactions.kind,
      seq: journalTransactions.seq,
      createdAt: journalTransactions.createdAt,
      entryId: journalEntries.id,
      accountId: journalEntries.accountId,
      accountKind: ledgerAccounts.kind,
      amountMinor: journalEntries.amountMinor,
      currency: journalEntries.currency,
    })
    .from(journalTransactions)
    .innerJoin(journalEntries, eq(journalEntries.transactionId, journalTransactions.id))
    .leftJoin(ledgerAccounts, eq(ledgerAccounts.id, journalEntries.accountId))
    .where(and(eq(journalTransactions.paymentIntentId, pi.id), eq(journalTransactions.merchantId, merchantId)))
    .orderBy(asc(journalTransactions.seq), desc(journalEntries.amountMinor));
  const deliveries = await Promise.all(
    events.map(async (e) => ({ eventId: e.id, eventType: e.type, deliveries: await listDeliveriesForEvent(e.id) })),
  );
  const amountRefunded = (await refundedAmounts(db, [pi.id])).get(pi.id) ?? 0;
  const mpesa = attempts.length
    ? await db
        .select({ attemptId: mpesaPayments.attemptId, phone: mpesaPayments.phone, receipt: mpesaPayments.receiptNumber })
        .from(mpesaPayments)
        .where(
          inArray(
            mpesaPayments.attemptId,
            attempts.map((a) => a.id),
          ),
        )
    : [];
  const mpesaByAttempt = new Map(mpesa.map((m) => [m.attemptId, { phone: m.phone, receipt: m.receipt }]));
  const disputes = await listPaymentDisputes(merchantId, pi.id);
  const latestAttempt = attempts.at(-1);
  const display = paymentDisplayStatus({
    status: pi.status,
    amountReceived: pi.amountReceived,
    amountRefunded,
    disputeStatus: disputes.at(0)?.status ?? null,
    blockedByRisk: latestAttempt?.riskDecision === 'block',
    failedAttempts: attempts.filter((a) => a.status === 'failed').length,
  });
  return {
    display,
    disputes,
    paymentIntent: pi,
    /** M-Pesa details per attempt id (phone, receipt), for attempts paid with M-Pesa. */
    mpesa: mpesaByAttempt,
    amounts: {
      authorized: pi.amount,
      captured: pi.amountReceived,
      refunded: amountRefunded,
      refundable: Math.max(pi.amountReceived - amountRefunded, 0),
    },
    attempts,
    refunds: refundRows,
    events,
    ledger,
    webhookDeliveries: deliveries.filter((d) => d.deliveries.length > 0),
    checkoutSession: session ?? null,
  };
}
export type PaymentDetail = NonNullable<Awaited<ReturnType<typeof getMerchantPaymentDetail>>>;
