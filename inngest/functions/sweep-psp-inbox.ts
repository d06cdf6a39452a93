import type { Inngest } from 'inngest';
import { processUnprocessedInbox } from '@/lib/inbox/process';
import { appliedEvent } from './apply-psp-callback';

/**
 * Every minute, processes callbacks stored more than a minute ago whose event never arrived.
 * Idempotent for the same reasons as apply-psp-callback; its announcements reuse the same ids.
 */
export const defineSweepPspInbox = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'sweep-psp-inbox', retries: 1, triggers: [{ cron: '* * * * *' }], concurrency: { limit: 1 } },
    async ({ step }) => {
      const results = await step.run('process-stale', () => processUnprocessedInbox({ olderThanMs: 60_000 }));
      const announcements = results.flatMap((r) => appliedEvent(r) ?? []);
      if (announcements.length > 0) await step.sendEvent('announce', announcements);
      return { processed: results.length };
    },
  );
