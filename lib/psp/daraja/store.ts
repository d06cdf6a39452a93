import { eq, type SQL } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { mpesaPayments, paymentAttempts, type MpesaPayment, type PaymentAttempt } from '@/db/schema';

/**
 * The Daraja adapter's own records: one mpesa_payments row per M-Pesa attempt, with what the
 * attempt table has no column for (the phone, Daraja's request ids, the confirmed result code and
 * the receipt). The mobile-money risk rules count these rows.
 */

export async function insertMpesaPayment(tx: Tx, row: { attemptId: string; merchantId: string; phone: string; amountMinor: number }): Promise<void> {
  await tx.insert(mpesaPayments).values(row);
}

export async function recordPushAccepted(attemptId: string, ids: { checkoutRequestId: string; merchantRequestId: string }): Promise<void> {
  await getDb()
    .update(mpesaPayments)
    .set({ checkoutRequestId: ids.checkoutRequestId, merchantRequestId: ids.merchantRequestId, updatedAt: new Date() })
    .where(eq(mpesaPayments.attemptId, attemptId));
}

export async function recordQueryResult(attemptId: string, result: { resultCode: number; resultDesc: string; receiptNumber?: string }): Promise<void> {
  await getDb()
    .update(mpesaPayments)
    .set({
      resultCode: result.resultCode,
      resultDesc: result.resultDesc,
      ...(result.receiptNumber ? { receiptNumber: result.receiptNumber } : {}),
      updatedAt: new Date(),
    })
    .where(eq(mpesaPayments.attemptId, attemptId));
}

export async function findMpesaPayment(attemptId: string): Promise<MpesaPayment | undefined> {
  const [row] = await getDb().select().from(mpesaPayments).where(eq(mpesaPayments.attemptId, attemptId));
  return row;
}

type MpesaAttemptRow = { attempt: PaymentAttempt; mpesa: MpesaPayment };

async function findMpesaAttemptWhere(condition: SQL): Promise<MpesaAttemptRow | undefined> {
  const [row] = await getDb()
    .select({ attempt: paymentAttempts, mpesa: mpesaPayments })
    .from(mpesaPayments)
    .innerJoin(paymentAttempts, eq(paymentAttempts.id, mpesaPayments.attemptId))
    .where(condition);
  return row;
}

/** An M-Pesa attempt with its row (the pay page's view); undefined when the attempt is not M-Pesa. */
export const findMpesaAttempt = (attemptId: string) => findMpesaAttemptWhere(eq(mpesaPayments.attemptId, attemptId));

/** Finds our attempt for a Daraja CheckoutRequestID (callbacks). */
export const findMpesaByCheckoutRequestId = (checkoutRequestId: string) =>
  findMpesaAttemptWhere(eq(mpesaPayments.checkoutRequestId, checkoutRequestId));

/** Finds our attempt for an M-Pesa receipt (a Paybill attempt's PSP reference is its receipt: it has no CheckoutRequestID). */
export const findMpesaByReceipt = (receiptNumber: string) => findMpesaAttemptWhere(eq(mpesaPayments.receiptNumber, receiptNumber));
