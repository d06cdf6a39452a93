import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { journalEntries, journalTransactions, ledgerAccounts, type PostingKind } from '@/db/schema';
import { AppError } from '@/lib/errors';
import type { Currency } from '@/lib/money';
import type { AccountRef } from './accounts';
import { findPosting, post, type PostResult } from './post';
import { reversalLines, type PostingLine } from './posting-rules';

/**
 * Kinds a plain reversal may correct. The others change a payment's captured or refunded amount
 * and have their own corrections: a capture is undone by a refund, a refund by failRefund.
 */
const REVERSIBLE: ReadonlySet<PostingKind> = new Set(['settlement', 'refund_confirmed']);

/**
 * Corrects a posting with a new one carrying the opposite lines (entries are never edited).
 * Idempotent per event id; a transaction is reversed at most once (checked first, and a unique
 * index on reverses_id settles races); a reversal that would overdraw a wallet is refused like any other debit.
 */
export async function reverse(
  db: DbOrTx,
  input: { journalTransactionId: string; eventId: string; description?: string },
): Promise<PostResult> {
  const rows = await db
    .select({ transaction: journalTransactions, entry: journalEntries, account: ledgerAccounts })
    .from(journalTransactions)
    .innerJoin(journalEntries, eq(journalEntries.transactionId, journalTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, journalEntries.accountId))
    .where(eq(journalTransactions.id, input.journalTransactionId));
  const original = rows[0]?.transaction;
  if (!original) throw new AppError('resource_missing', `No journal transaction ${input.journalTransactionId}.`);
  if (!REVERSIBLE.has(original.kind)) {
    throw new AppError(
      'parameter_invalid',
      `A ${original.kind} posting is corrected by its own flow (refund, failRefund), not by a reversal.`,
    );
  }
  const redelivered = await findPosting(db, input.eventId, 'reversal');
  if (redelivered) return { journalTransactionId: redelivered, created: false };
  const [earlier] = await db
    .select({ id: journalTransactions.id })
    .from(journalTransactions)
    .where(eq(journalTransactions.reversesId, original.id));
  if (earlier) throw new AppError('already_reversed', `Journal transaction ${original.id} is already reversed by ${earlier.id}.`);
  const lines: PostingLine[] = rows.map(({ entry, account }) => ({
    account: toAccountRef(account),
    amountMinor: entry.amountMinor,
  }));
  try {
    return await post(db, {
      kind: 'reversal',
      eventId: input.eventId,
      merchantId: original.merchantId,
      currency: original.currency as Currency,
      paymentIntentId: original.paymentIntentId ?? undefined,
      refundId: original.refundId ?? undefined,
      reversesId: original.id,
      description: input.description,
      lines: reversalLines(lines),
    });
  } catch (err) {
    if (isReversedTwice(err)) throw new AppError('already_reversed', `Journal transaction ${original.id} is already reversed.`);
    throw err;
  }
}

function toAccountRef(account: typeof ledgerAccounts.$inferSelect): AccountRef {
  return {
    id: account.id,
    kind: account.kind,
    merchantId: account.merchantId,
    psp: account.psp,
    currency: account.currency as Currency,
  };
}

function isReversedTwice(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause ?? err) : err;
  return (
    typeof cause === 'object' &&
    cause !== null &&
    (cause as { constraint_name?: string }).constraint_name === 'journal_transactions_reverses_key'
  );
}
