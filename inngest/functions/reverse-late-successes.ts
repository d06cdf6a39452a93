import type { Inngest } from 'inngest';
import { findOwedAttempts, reverseOwedAttempt } from '@/lib/payments/late-success';

/**
 * Every minute: money a PSP holds for an attempt we will not keep (a success that came after the
 * intent was canceled, or an attempt given up while the PSP could not be reached) is voided or
 * refunded at the PSP. Usually the request that noticed it already did; this retries the rest.
 * Safe to repeat: the PSP is asked first, the void/refund carries the attempt's reversal key, and
 * the reversal is recorded once, only while the attempt is still reversal_pending.
 */
export const defineReverseLateSuccesses = (inngest: Inngest) =>
  inngest.createFunction({ id: 'reverse-late-successes', retries: 3, triggers: [{ cron: '* * * * *' }] }, async ({ step }) => {
    const ids = await step.run('find-owed', () => findOwedAttempts(100));
    const outcomes: Record<string, string> = {};
    for (const id of ids) outcomes[id] = await step.run(`reverse-${id}`, () => reverseOwedAttempt(id));
    return { owed: ids.length, outcomes };
  });
