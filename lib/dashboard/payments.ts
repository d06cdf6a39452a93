import { and, asc, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { checkoutSessions, outboxEvents, paymentAttempts, paymentIntents, type PaymentIntentStatus } from '@/db/schema';

export interface PaymentRow {
  id: string;
  amount: number;
  amountReceived: number;
  currency: string;
  status: PaymentIntentStatus;
  email: string | null;
  card: { brand: string; last4: string } | null;
  createdAt: Date;
}

/** A merchant's payments, newest first, with the card of the latest attempt. */
export async function listMerchantPayments(
  merchantId: string,
  options: { status?: PaymentIntentStatus; before?: string; limit?: number } = {},
): Promise<{ rows: PaymentRow[]; nextCursor: string | null }> {
  const db = getDb();
  const limit = Math.min(Math.max(options.limit ?? 25, 1), 100);
  const conditions: SQL[] = [eq(paymentIntents.merchantId, merchantId)];
  if (options.status) conditions.push(eq(paymentIntents.status, options.status));
  if (options.before) {
    const [cursor] = await db
      .select({ createdAt: paymentIntents.createdAt, id: paymentIntents.id })
      .from(paymentIntents)
      .where(and(eq(paymentIntents.id, options.before), eq(paymentIntents.merchantId, merchantId)));
    if (cursor) {
      const older = or(lt(paymentIntents.createdAt, cursor.createdAt), and(eq(paymentIntents.createdAt, cursor.createdAt), lt(paymentIntents.id, cursor.id)));
      if (older) conditions.push(older);
    }
  }
  const rows = await db
    .select({ pi: paymentIntents, card: paymentAttempts.card })
    .from(paymentIntents)
    .leftJoin(paymentAttempts, eq(paymentAttempts.id, paymentIntents.latestAttemptId))
    .where(and(...conditions))
    .orderBy(desc(paymentIntents.createdAt), desc(paymentIntents.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit).map(({ pi, card }) => ({
    id: pi.id,
    amount: pi.amount,
    amountReceived: pi.amountReceived,
    currency: pi.currency,
    status: pi.status,
    email: pi.customerEmail,
    card: card ? { brand: card.brand, last4: card.last4 } : null,
    createdAt: pi.createdAt,
  }));
  return { rows: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/** Everything the payment detail page shows; null when the payment is not this merchant's. */
export async function getMerchantPaymentDetail(merchantId: string, id: string) {
  const db = getDb();
  const [pi] = await db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)));
  if (!pi) return null;
  const attempts = await db.select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id)).orderBy(asc(paymentAttempts.createdAt));
  const events = await db
    .select({ id: outboxEvents.id, type: outboxEvents.type, createdAt: outboxEvents.createdAt })
    .from(outboxEvents)
    .where(and(eq(outboxEvents.merchantId, merchantId), eq(outboxEvents.aggregateId, pi.id)))
    .orderBy(asc(outboxEvents.seq));
  const [session] = pi.checkoutSessionId
    ? await db.select().from(checkoutSessions).where(eq(checkoutSessions.id, pi.checkoutSessionId))
    : [];
  return { paymentIntent: pi, attempts, events, checkoutSession: session ?? null };
}
