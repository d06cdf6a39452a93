import type { Inngest } from 'inngest';
import { outboxEventData, parseEventData, PSP_CALLBACK_APPLIED } from '@/inngest/events';
import { abandonAttempt, queryAttempt, queryBackoffMs, RESOLUTION_TRIGGERS, resolutionPolicy, type PendingKind } from '@/lib/payments/resolution';

const OPEN = new Set(['pending', 'requires_action', 'psp_unreachable']);

/**
 * A payment left in requires_action or processing is resolved: wait for the PSP's callback (with
 * a timeout), then query the PSP with backoff until the attempt has an outcome or the deadline
 * passes, then cancel it at the PSP and fail it with a clear reason.
 * Idempotent: one run per attempt (idempotency key), every PSP query is a read or a replay of the
 * attempt's own idempotent request, and applying an outcome twice is a no-op.
 */
export const defineResolvePendingPayment = (inngest: Inngest) =>
  inngest.createFunction(
    {
      id: 'resolve-pending-payment',
      retries: 5,
      idempotency: 'event.data.attemptId',
      triggers: [...RESOLUTION_TRIGGERS],
    },
    async ({ event, step }) => {
      const data = parseEventData(outboxEventData, event.data, event.name);
      const attemptId = data.attemptId ?? null;
      if (!attemptId) return { skipped: 'no attempt' };
      const kind: PendingKind = event.name === 'payment_intent.requires_action' ? 'requires_action' : 'processing';
      const policy = resolutionPolicy(kind);

      await step.waitForEvent('wait-for-psp-callback', {
        event: PSP_CALLBACK_APPLIED,
        match: 'data.paymentIntentId',
        timeout: policy.callbackTimeoutMs,
      });

      let waitedMs = policy.callbackTimeoutMs;
      for (let query = 0; ; query++) {
        const status = await step.run(`query-psp-${query}`, () => queryAttempt(attemptId));
        if (!OPEN.has(status)) return { resolved: status, queries: query + 1 };
        if (waitedMs >= policy.deadlineMs) break;
        const backoffMs = queryBackoffMs(kind, query);
        await step.sleep(`backoff-${query}`, backoffMs);
        waitedMs += backoffMs;
      }
      const outcome = await step.run('abandon', async () => (await abandonAttempt(attemptId, kind)).attempt.status);
      return { resolved: outcome, abandoned: true };
    },
  );
