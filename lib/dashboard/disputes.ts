import { and, desc, eq, lt, or } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentDisputes, paymentIntents, type PaymentDispute } from '@/db/schema';
import { isOpenDispute } from './status-labels';

export interface DisputeRow extends PaymentDispute {
  customerEmail: string | null;
  /** Still waiting for the merchant or the bank (needs_response, under_review, ...). */
  open: boolean;
}

/** A payment's disputes, newest first. Scoped to the merchant. */
export async function listPaymentDisputes(merchantId: string, paymentIntentId: string): Promise<PaymentDispute[]> {
  return getDb()
    .select()
    .from(paymentDisputes)
    .where(and(eq(paymentDisputes.merchantId, merchantId), eq(paymentDisputes.paymentIntentId, paymentIntentId)))
    .orderBy(desc(paymentDisputes.disputedAt), desc(paymentDisputes.id));
}

/** The merchant's disputes, newest first, a page at a time (cursor = the last dispute id shown). */
export async function listMerchantDisputes(
  merchantId: string,
  options: { limit?: number; before?: string } = {},
): Promise<{ rows: DisputeRow[]; nextCursor: string | null }> {
  const db = getDb();
  const limit = Math.min(Math.max(options.limit ?? 25, 1), 100);
  const conditions = [eq(paymentDisputes.merchantId, merchantId)];
  if (options.before) {
    const [cursor] = await db
      .select({ disputedAt: paymentDisputes.disputedAt, id: paymentDisputes.id })
      .from(paymentDisputes)
      .where(and(eq(paymentDisputes.id, options.before), eq(paymentDisputes.merchantId, merchantId)));
    const older = cursor
      ? or(
          lt(paymentDisputes.disputedAt, cursor.disputedAt),
          and(eq(paymentDisputes.disputedAt, cursor.disputedAt), lt(paymentDisputes.id, cursor.id)),
        )
      : undefined;
    if (older) conditions.push(older);
  }
  const rows = await db
    .select({ dispute: paymentDisputes, customerEmail: paymentIntents.customerEmail })
    .from(paymentDisputes)
    .innerJoin(
      paymentIntents,
      and(eq(paymentIntents.id, paymentDisputes.paymentIntentId), eq(paymentIntents.merchantId, merchantId)),
    )
    .where(and(...conditions))
    .orderBy(desc(paymentDisputes.disputedAt), desc(paymentDisputes.id))
    .limit(limit + 1);
  const page = rows
    .slice(0, limit)
    .map((r) => ({ ...r.dispute, customerEmail: r.customerEmail, open: isOpenDispute(r.dispute.status) }));
  return { rows: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}
