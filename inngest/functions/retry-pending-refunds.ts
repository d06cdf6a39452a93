import type { Inngest } from 'inngest';
import { findPendingRefunds, sendRefundToPsp } from '@/lib/refunds';

/**
 * Every five minutes: refunds the PSP has not answered (it was unreachable or timed out) are sent
 * again. Safe: each carries its own PSP idempotency key, so the PSP refunds at most once.
 */
export const defineRetryPendingRefunds = (inngest: Inngest) =>
  inngest.createFunction({ id: 'retry-pending-refunds', retries: 3, triggers: [{ cron: '*/5 * * * *' }] }, async ({ step }) => {
    const ids = await step.run('find-pending', () => findPendingRefunds(60_000));
    const outcomes: Record<string, string> = {};
    for (const id of ids) outcomes[id] = await step.run(`send-${id}`, async () => (await sendRefundToPsp(id)).status);
    return { retried: ids.length, outcomes };
  });
