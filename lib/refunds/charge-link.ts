import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { paymentAttempts, type PaymentAttempt } from '@/db/schema';
import { attemptIdOf } from '@/lib/api-objects/charge-id';
import { AppError } from '@/lib/errors';

/** The attempt behind a merchant's charge id (ch_X is attempt pa_X); resource_missing naming `param` otherwise. */
export async function attemptOfCharge(db: DbOrTx, merchantId: string, chargeId: string, param = 'charge'): Promise<PaymentAttempt> {
  const attemptId = attemptIdOf(chargeId);
  const [attempt] = attemptId
    ? await db
        .select()
        .from(paymentAttempts)
        .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.merchantId, merchantId)))
    : [];
  if (!attempt) throw new AppError('resource_missing', `No such charge: '${chargeId}'`, { param });
  return attempt;
}
