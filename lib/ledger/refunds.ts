import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { journalEntries, journalTransactions, ledgerAccounts, ledgerPaymentStates, type LedgerPaymentState } from '@/db/schema';
import { AppError, invariant } from '@/lib/errors';
import { assertValidAmount, formatMoney, type Currency } from '@/lib/money';
import { lockWallet, readWalletState, type WalletState } from '@/lib/wallet/wallet-lock';
import { findPosting, post, type PostResult } from './post';
import { refundConfirmedLines, refundFailedLines, refundLines, type RefundSource } from './posting-rules';

export interface RefundInput {
  eventId: string;
  refundId: string;
  merchantId: string;
  paymentIntentId: string;
  currency: Currency;
  amountMinor: number;
}

/**
 * Where a refund comes from. Like Stripe, from the available balance; a payment that has not
 * settled yet may still be refunded from pending. One account per refund (never split), so the
 * reversal of a failed refund is exact. The overdraft only extends the available balance.
 */
export function chooseRefundSource(wallet: WalletState, amountMinor: number): RefundSource | null {
  if (wallet.availableMinor >= amountMinor) return 'merchant_available';
  if (wallet.pendingMinor >= amountMinor) return 'merchant_pending';
  if (wallet.availableMinor + wallet.overdraftLimitMinor >= amountMinor) return 'merchant_available';
  return null;
}

/**
 * Books a refund (full or partial; several per payment). The payment's ledger row is locked
 * first, so concurrent refunds of one payment are checked one at a time against
 * captured - refunded; then the wallet lock guards the balance. Either everything is written
 * or an AppError is thrown and nothing is. Idempotent: a repeated event id returns the first
 * posting (checked under the payment lock, so even concurrent duplicates post once).
 */
export async function recordRefund(db: DbOrTx, input: RefundInput): Promise<PostResult> {
  assertValidAmount(input.amountMinor, input.currency);
  return db.transaction(async (tx) => {
    const payment = await lockPaymentState(tx, input.paymentIntentId);
    const existing = await findPosting(tx, input.eventId, 'refund');
    if (existing) return { journalTransactionId: existing, created: false };
    assertRefundable(payment, input);
    await lockWallet(tx, input.merchantId, input.currency);
    const wallet = await readWalletState(tx, input.merchantId, input.currency);
    const source = chooseRefundSource(wallet, input.amountMinor);
    if (!source) {
      throw new AppError(
        'insufficient_balance',
        `The balance cannot cover a refund of ${formatMoney(input.amountMinor, input.currency)} ` +
          `(available ${formatMoney(wallet.availableMinor, input.currency)}, pending ${formatMoney(wallet.pendingMinor, input.currency)}).`,
        { param: 'amount' },
      );
    }
    return post(tx, {
      kind: 'refund',
      eventId: input.eventId,
      merchantId: input.merchantId,
      currency: input.currency,
      paymentIntentId: input.paymentIntentId,
      refundId: input.refundId,
      lines: refundLines({ ...input, source }),
    }).then((result) => addRefunded(tx, input.paymentIntentId, input.amountMinor, result));
  });
}

/** Called with the payment row locked and the posting just created (duplicates returned earlier). */
async function addRefunded(tx: DbOrTx, paymentIntentId: string, deltaMinor: number, result: PostResult): Promise<PostResult> {
  invariant(result.created, 'a refund posting checked for duplicates under the payment lock is always new');
  await tx
    .update(ledgerPaymentStates)
    .set({ refundedMinor: sql`${ledgerPaymentStates.refundedMinor} + ${deltaMinor}`, updatedAt: new Date() })
    .where(eq(ledgerPaymentStates.paymentIntentId, paymentIntentId));
  return result;
}

async function lockPaymentState(tx: DbOrTx, paymentIntentId: string): Promise<LedgerPaymentState> {
  const [row] = await tx
    .select()
    .from(ledgerPaymentStates)
    .where(eq(ledgerPaymentStates.paymentIntentId, paymentIntentId))
    .for('update');
  if (!row) throw new AppError('payment_intent_unexpected_state', `Payment ${paymentIntentId} has no captured funds to refund.`);
  return row;
}

function assertRefundable(payment: LedgerPaymentState, input: RefundInput): void {
  invariant(payment.merchantId === input.merchantId && payment.currency === input.currency, 'refund must match the payment');
  const refundableMinor = payment.capturedMinor - payment.refundedMinor;
  if (input.amountMinor > refundableMinor) {
    throw new AppError(
      'amount_too_large',
      `Refund amount ${formatMoney(input.amountMinor, input.currency)} is greater than the refundable ${formatMoney(refundableMinor, input.currency)}.`,
      { param: 'amount' },
    );
  }
}

interface BookedRefund {
  journalTransactionId: string;
  paymentIntentId: string;
  merchantId: string;
  currency: Currency;
  amountMinor: number;
  source: RefundSource;
}

/** The refund posting for a refund id, with the amount and the balance it was taken from. */
async function findBookedRefund(db: DbOrTx, refundId: string): Promise<BookedRefund> {
  const rows = await db
    .select({
      id: journalTransactions.id,
      paymentIntentId: journalTransactions.paymentIntentId,
      merchantId: journalTransactions.merchantId,
      currency: journalTransactions.currency,
      kind: ledgerAccounts.kind,
      amountMinor: journalEntries.amountMinor,
    })
    .from(journalTransactions)
    .innerJoin(journalEntries, eq(journalEntries.transactionId, journalTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, journalEntries.accountId))
    .where(and(eq(journalTransactions.refundId, refundId), eq(journalTransactions.kind, 'refund')));
  const debit = rows.find((r) => r.amountMinor > 0);
  if (!debit) throw new AppError('resource_missing', `No refund ${refundId} is booked in the ledger.`);
  invariant(debit.kind === 'merchant_available' || debit.kind === 'merchant_pending', 'a refund debits a merchant balance');
  invariant(debit.paymentIntentId && debit.merchantId, 'a refund posting names its payment and merchant');
  return {
    journalTransactionId: debit.id,
    paymentIntentId: debit.paymentIntentId,
    merchantId: debit.merchantId,
    currency: debit.currency as Currency,
    amountMinor: debit.amountMinor,
    source: debit.kind,
  };
}

/**
 * The PSP confirmed the refund: Dr refunds in transit / Cr PSP clearing. Idempotent per event id;
 * a refund that already failed cannot be confirmed (checked under the payment lock).
 */
export async function confirmRefund(db: DbOrTx, input: { refundId: string; eventId: string }): Promise<PostResult> {
  return db.transaction(async (tx) => {
    const refund = await findBookedRefund(tx, input.refundId);
    const payment = await lockPaymentState(tx, refund.paymentIntentId);
    const existing = await findPosting(tx, input.eventId, 'refund_confirmed');
    if (existing) return { journalTransactionId: existing, created: false };
    await assertRefundOpen(tx, input.refundId);
    return post(tx, {
      kind: 'refund_confirmed',
      eventId: input.eventId,
      merchantId: refund.merchantId,
      currency: refund.currency,
      paymentIntentId: refund.paymentIntentId,
      refundId: input.refundId,
      lines: refundConfirmedLines({ psp: payment.psp, currency: refund.currency, amountMinor: refund.amountMinor }),
    });
  });
}

/**
 * The PSP could not refund: the money returns to the balance it came from and becomes refundable
 * again. Idempotent per event id; a confirmed refund cannot fail afterwards.
 */
export async function failRefund(db: DbOrTx, input: { refundId: string; eventId: string }): Promise<PostResult> {
  return db.transaction(async (tx) => {
    const refund = await findBookedRefund(tx, input.refundId);
    // Serializes this outcome with the payment's other refunds and outcomes.
    await lockPaymentState(tx, refund.paymentIntentId);
    const existing = await findPosting(tx, input.eventId, 'refund_failed');
    if (existing) return { journalTransactionId: existing, created: false };
    await assertRefundOpen(tx, input.refundId);
    return post(tx, {
      kind: 'refund_failed',
      eventId: input.eventId,
      merchantId: refund.merchantId,
      currency: refund.currency,
      paymentIntentId: refund.paymentIntentId,
      refundId: input.refundId,
      lines: refundFailedLines(refund),
    }).then((result) => addRefunded(tx, refund.paymentIntentId, -refund.amountMinor, result));
  });
}

async function assertRefundOpen(tx: DbOrTx, refundId: string): Promise<void> {
  const rows = await tx.execute<{ kind: string }>(
    sql`select kind from journal_transactions where refund_id = ${refundId} and kind in ('refund_confirmed', 'refund_failed') limit 1`,
  );
  if (rows[0])
    throw new AppError(
      'payment_intent_unexpected_state',
      `Refund ${refundId} is already ${rows[0].kind === 'refund_confirmed' ? 'confirmed' : 'failed'}.`,
    );
}
