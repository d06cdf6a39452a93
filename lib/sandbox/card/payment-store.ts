import { and, eq } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import {
  sandboxCardPayments,
  sandboxCardTokens,
  type SandboxCardPayment,
  type SandboxCardToken,
  type SandboxPaymentStatus,
} from '@/db/schema';
import { invariant } from '@/lib/errors';
import { canTransition } from './payment-states';

export type NewSandboxPayment = typeof sandboxCardPayments.$inferInsert;

export interface PaymentWithCard {
  payment: SandboxCardPayment;
  token: SandboxCardToken;
}

/**
 * Inserts unless a payment with the same idempotency key exists. The unique index decides, so two
 * concurrent identical requests create one row; the loser gets undefined and reads the winner's.
 */
export async function insertPaymentUnlessKeyExists(row: NewSandboxPayment): Promise<SandboxCardPayment | undefined> {
  const [inserted] = await getDb()
    .insert(sandboxCardPayments)
    .values(row)
    .onConflictDoNothing({ target: sandboxCardPayments.idempotencyKey })
    .returning();
  return inserted;
}

export async function findPaymentByIdempotencyKey(key: string): Promise<SandboxCardPayment | undefined> {
  const [row] = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.idempotencyKey, key));
  return row;
}

export async function findPaymentWithCard(id: string): Promise<PaymentWithCard | undefined> {
  const [row] = await getDb()
    .select({ payment: sandboxCardPayments, token: sandboxCardTokens })
    .from(sandboxCardPayments)
    .innerJoin(sandboxCardTokens, eq(sandboxCardTokens.id, sandboxCardPayments.tokenId))
    .where(eq(sandboxCardPayments.id, id));
  return row;
}

/** Runs `change` with the payment row locked, so concurrent captures/cancels see each other. */
export async function withLockedPayment<T>(
  id: string,
  change: (tx: Tx, payment: SandboxCardPayment) => Promise<T>,
): Promise<T | undefined> {
  return getDb().transaction(async (tx) => {
    const [payment] = await tx.select().from(sandboxCardPayments).where(eq(sandboxCardPayments.id, id)).for('update');
    return payment ? change(tx, payment) : undefined;
  });
}

export type PaymentChanges = Partial<
  Pick<SandboxCardPayment, 'amountCaptured' | 'declineCode' | 'declineMessage' | 'threeDsStatus'>
>;

/** The one place a payment changes status; it refuses any move the state table does not allow. */
export async function transitionPayment(
  tx: Tx,
  payment: SandboxCardPayment,
  next: SandboxPaymentStatus,
  changes: PaymentChanges = {},
): Promise<SandboxCardPayment> {
  invariant(canTransition(payment.status, next), `sandbox payment ${payment.id}: ${payment.status} -> ${next}`);
  const amountCaptured = changes.amountCaptured ?? payment.amountCaptured;
  invariant(amountCaptured >= 0 && amountCaptured <= payment.amount, 'captured amount must be within the authorized amount');
  const [updated] = await tx
    .update(sandboxCardPayments)
    .set({ ...changes, status: next, updatedAt: new Date() })
    .where(and(eq(sandboxCardPayments.id, payment.id), eq(sandboxCardPayments.status, payment.status)))
    .returning();
  invariant(updated, `sandbox payment ${payment.id} changed under a row lock`);
  return updated;
}
