import type { Inngest } from 'inngest';
import { expireCheckoutSession, findExpiredCheckoutSessions } from '@/lib/payments/resolution';

/**
 * Every five minutes: open checkout sessions past their expiry (24 h by default) are expired and
 * their intents canceled. Idempotent: a session that is no longer open is skipped.
 */
export const defineExpireCheckoutSessions = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'expire-checkout-sessions', retries: 3, triggers: [{ cron: '*/5 * * * *' }] },
    async ({ step }) => {
      const ids = await step.run('find-expired', () => findExpiredCheckoutSessions(100));
      let expired = 0;
      for (const id of ids) {
        if ((await step.run(`expire-${id}`, () => expireCheckoutSession(id))) === 'expired') expired++;
      }
      return { found: ids.length, expired };
    },
  );
