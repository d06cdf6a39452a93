import { and, eq, isNull, or } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import {
  sandboxCardPayments,
  sandboxCardTokens,
  type SandboxCardPayment,
  type SandboxCardToken,
  type SandboxPaymentStatus,
} from '@/db/schema';
import { invariant } from './errors';
import { canTransition } from './payment-states';

export type NewSandboxPayment = typeof sandboxCardPayments.$inferInsert;

export interface PaymentWithCard {
  payment: SandboxCardPayment;
  token: SandboxCardToken;
}

export type PaymentInsertResult =
  { kind: 'inserted'; payment: SandboxCardPayment } | { kind: 'key_exists' } | { kind: 'token_already_used' };

class TokenAlreadyUsed extends Error {}

/**
 * Records a payment and uses its token up, in one transaction. The payment insert goes first, so
 * a request whose key already has a payment (a retry, or a different body) never touches the
 * token. A token is single use: the conditional UPDATE lets one idempotency key take it; a
 * concurrent request with another key blocks on the row lock, then finds it taken and rolls its
 * payment back. The same key may take it again: a retried request is the same use.
 * Reusable test payment methods (pm_card_*) are not marked.
 */
export async function insertPaymentUsingToken(row: NewSandboxPayment, token: SandboxCardToken): Promise<PaymentInsertResult> {
  try {
    return await getDb().transaction(async (tx): Promise<PaymentInsertResult> => {
      const [payment] = await tx
        .insert(sandboxCardPayments)
        .values(row)
        .onConflictDoNothing({ target: sandboxCardPayments.idempotencyKey })
        .returning();
      if (!payment) return { kind: 'key_exists' };
      if (token.reusable) return { kind: 'inserted', payment };
      const used = await tx
        .update(sandboxCardTokens)
        .set({ usedAt: new Date(), usedByIdempotencyKey: row.idempotencyKey })
        .where(
          and(
            eq(sandboxCardTokens.id, token.id),
            or(isNull(sandboxCardTokens.usedByIdempotencyKey), eq(sandboxCardTokens.usedByIdempotencyKey, row.idempotencyKey)),
          ),
        )
        .returning({ id: sandboxCardTokens.id });
      if (used.length === 0) throw new TokenAlreadyUsed();
      return { kind: 'inserted', payment };
    });
  } catch (err) {
    if (err instanceof TokenAlreadyUsed) return { kind: 'token_already_used' };
    throw err;
  }
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
