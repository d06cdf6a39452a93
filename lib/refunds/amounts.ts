import { and, inArray, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { refunds } from '@/db/schema';

/** Sum of a payment's refunds that are not failed (pending ones hold their amount). */
export async function refundedAmounts(db: DbOrTx, paymentIntentIds: string[]): Promise<Map<string, number>> {
  if (paymentIntentIds.length === 0) return new Map();
  const rows = await db
    .select({ id: refunds.paymentIntentId, total: sql<string>`sum(${refunds.amount})` })
    .from(refunds)
    .where(and(inArray(refunds.paymentIntentId, paymentIntentIds), ne(refunds.status, 'failed')))
    .groupBy(refunds.paymentIntentId);
  return new Map(rows.map((r) => [r.id, Number(r.total)]));
}
