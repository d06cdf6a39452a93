import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentIntents } from '@/db/schema';
import { env } from '@/lib/env';
import { lockPaymentIntent } from './intents';
import { CONFIRMABLE_STATUSES } from './state-machine';
import { transitionPaymentIntent } from './transition';

/**
 * The PSP's answer about an attempt is unknown (its request may have reached the PSP): the intent
 * waits in processing, and the payment_intent.processing event starts resolve-pending-payment,
 * which asks the PSP until it knows (never charging again). One transaction under the intent's row
 * lock; false when the attempt was settled or the intent moved on meanwhile, so calling it twice,
 * or racing a confirm that did hear back, changes nothing.
 */
export async function awaitPspAnswer(attempt: { id: string; merchantId: string; paymentIntentId: string }): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, attempt.merchantId, attempt.paymentIntentId);
    const [current] = await tx.select({ status: paymentAttempts.status }).from(paymentAttempts).where(eq(paymentAttempts.id, attempt.id));
    if (current?.status !== 'pending' || pi.latestAttemptId !== attempt.id || !CONFIRMABLE_STATUSES.includes(pi.status)) return false;
    await transitionPaymentIntent(tx, pi, 'processing');
    return true;
  });
}

/** How long a confirm may legitimately hold a recorded attempt before hearing from its PSP. */
export function strandedAfterMs(): number {
  return env().STRANDED_ATTEMPT_AFTER_MS;
}

/**
 * Attempts whose confirm died (the app crashed or was killed) after recording the attempt and
 * before the PSP's answer was applied: still pending, the intent still confirmable (every answer,
 * even "unknown", moves it on), and older than any live confirm. Nothing else would ever look at
 * them: no event was written, and they block every new confirm of the intent while the PSP may
 * have charged the customer. Oldest first; the one-in-flight partial unique index
 * (status in pending, requires_action) serves the scan.
 */
export async function findStrandedAttempts(olderThanMs = strandedAfterMs(), limit = 100) {
  return getDb()
    .select({ id: paymentAttempts.id, merchantId: paymentAttempts.merchantId, paymentIntentId: paymentAttempts.paymentIntentId })
    .from(paymentAttempts)
    .innerJoin(paymentIntents, eq(paymentIntents.latestAttemptId, paymentAttempts.id))
    .where(
      and(
        eq(paymentAttempts.status, 'pending'),
        inArray(paymentIntents.status, [...CONFIRMABLE_STATUSES]),
        lt(paymentAttempts.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`),
      ),
    )
    .orderBy(asc(paymentAttempts.createdAt))
    .limit(limit);
}
