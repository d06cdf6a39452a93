import { and, eq, ne, sql } from 'drizzle-orm';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { sandboxCardRefunds, type SandboxCardRefund } from '@/db/schema';

export type NewSandboxRefund = typeof sandboxCardRefunds.$inferInsert;

/**
 * Inserts unless a refund with the same idempotency key exists. The unique index decides, so two
 * concurrent identical requests create one row; the loser gets undefined and reads the winner's.
 */
export async function insertRefundUnlessKeyExists(tx: Tx, row: NewSandboxRefund): Promise<SandboxCardRefund | undefined> {
  const [inserted] = await tx
    .insert(sandboxCardRefunds)
    .values(row)
    .onConflictDoNothing({ target: sandboxCardRefunds.idempotencyKey })
    .returning();
  return inserted;
}

export async function findRefundByIdempotencyKey(key: string, db: DbOrTx = getDb()): Promise<SandboxCardRefund | undefined> {
  const [row] = await db.select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.idempotencyKey, key));
  return row;
}

export async function findRefund(id: string): Promise<SandboxCardRefund | undefined> {
  const [row] = await getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.id, id));
  return row;
}

/** What is already refunded or on its way back: every refund of the payment that did not fail. */
export async function refundedAmount(tx: Tx, paymentId: string): Promise<number> {
  const [row] = await tx
    .select({ total: sql<string>`coalesce(sum(${sandboxCardRefunds.amount}), 0)` })
    .from(sandboxCardRefunds)
    .where(and(eq(sandboxCardRefunds.paymentId, paymentId), ne(sandboxCardRefunds.status, 'failed')));
  return Number(row?.total ?? 0);
}
