import type { Inngest } from 'inngest';
import { awaitPspAnswer, findStrandedAttempts } from '@/lib/payments/stranded';

/**
 * Every minute: a confirm that died after recording its attempt and before applying the PSP's
 * answer (the app was killed) left the attempt pending with no event, blocking the intent while
 * the PSP may have charged. Each such attempt is handed to resolution: the intent waits in
 * processing and resolve-pending-payment asks the PSP (a read) until it knows.
 * Safe to repeat: awaitPspAnswer changes an attempt only while it is still stranded, under the
 * intent's row lock, so a second run or a late answer from the original confirm changes nothing.
 */
export const defineRecoverStrandedAttempts = (inngest: Inngest) =>
  inngest.createFunction({ id: 'recover-stranded-attempts', retries: 3, triggers: [{ cron: '* * * * *' }] }, async ({ step }) => {
    const stranded = await step.run('find-stranded', () => findStrandedAttempts());
    let handed = 0;
    for (const attempt of stranded) {
      if (await step.run(`await-psp-${attempt.id}`, () => awaitPspAnswer(attempt))) handed++;
    }
    return { stranded: stranded.length, handed };
  });
