import type { Inngest } from 'inngest';
import { parseEventData, PSP_CALLBACK_APPLIED, PSP_CALLBACK_RECEIVED, pspCallbackReceivedData } from '@/inngest/events';
import { processInboxMessage, type ProcessedInboxMessage } from '@/lib/inbox/process';
import { isOpenAttempt } from '@/lib/payments/apply-psp-result';

/**
 * The PSP_CALLBACK_APPLIED announcement of a processed callback about one of our payments, once
 * its attempt has an outcome (what the payment's resolution waits for). A hint that left the
 * attempt open (forged, early, or the PSP not confirming it) is not announced: it must not end the
 * payment's wait for its real callback, or the resolution would start querying, and count down
 * its deadline, too early. Nor is one that no resolution can be waiting for (announcementAwaited).
 */
export function appliedEvent(result: ProcessedInboxMessage) {
  if (!result.attempt || isOpenAttempt(result.attempt) || result.announce === false) return undefined;
  return {
    // one announcement per callback, however often this step or the sweep re-runs
    id: `applied-${result.inboxId}`,
    name: PSP_CALLBACK_APPLIED,
    data: { paymentIntentId: result.attempt.paymentIntentId, attemptId: result.attempt.attemptId, status: result.attempt.status },
  };
}

/**
 * Processes a stored PSP callback (a hint: the attempt takes the state the PSP answers when
 * asked, never the callback's claim), then announces it (payment waits match
 * PSP_CALLBACK_APPLIED on paymentIntentId). Idempotent: processInboxMessage applies a callback
 * once and never regresses an attempt; the announcement's event id is fixed per inbox row.
 */
export const defineApplyPspCallback = (inngest: Inngest) =>
  inngest.createFunction(
    {
      id: 'apply-psp-callback',
      retries: 5,
      triggers: [{ event: PSP_CALLBACK_RECEIVED }],
      // two deliveries of one callback are processed one after the other, not side by side
      concurrency: { limit: 1, key: 'event.data.inboxId' },
    },
    async ({ event, step }) => {
      const { inboxId } = parseEventData(pspCallbackReceivedData, event.data, event.name);
      const result = await step.run('apply', () => processInboxMessage(inboxId));
      const announcement = appliedEvent(result);
      if (announcement) await step.sendEvent('announce', announcement);
      return result;
    },
  );
