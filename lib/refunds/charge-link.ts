import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { paymentAttempts, type PaymentAttempt } from '@/db/schema';
import { AppError } from '@/lib/errors';

/**
 * A charge (ch_) is the API's view of one payment attempt (pa_): the same random part under
 * Stripe's prefix, so either id gives the other without a second table to keep in step.
 */
export function chargeIdOfAttempt(attemptId: string): string {
  return `ch_${attemptId.slice(attemptId.indexOf('_') + 1)}`;
}

export function attemptIdOfCharge(chargeId: string): string | null {
  return /^ch_[0-9A-Za-z]{8,64}$/.test(chargeId) ? `pa_${chargeId.slice(3)}` : null;
}

/** The attempt behind a merchant's charge id; resource_missing (param `param`) otherwise. */
export async function attemptOfCharge(db: DbOrTx, merchantId: string, chargeId: string, param = 'charge'): Promise<PaymentAttempt> {
  const attemptId = attemptIdOfCharge(chargeId);
  const [attempt] = attemptId
    ? await db
        .select()
        .from(paymentAttempts)
        .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.merchantId, merchantId)))
    : [];
  if (!attempt) throw new AppError('resource_missing', `No such charge: '${chargeId}'`, { param });
  return attempt;
}
