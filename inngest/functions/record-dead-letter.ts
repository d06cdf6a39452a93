import type { Inngest } from 'inngest';
import { getDb } from '@/db/client';
import { FUNCTION_FAILED, functionFailedData, parseEventData } from '@/inngest/events';
import { recordDeadLetter } from '@/lib/dead-letters';

/**
 * Turns every run that failed for good into a dead letter, on either engine: real Inngest and the
 * embedded engine both send "inngest/function.failed" with the failed run's id, function, error and
 * event. Exactly-once effect: one dead letter per run id (unique), so a redelivered failure event
 * records nothing new.
 */
export const defineRecordDeadLetter = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'record-dead-letter', retries: 10, triggers: [{ event: FUNCTION_FAILED }] },
    async ({ event, step }) => {
      const data = parseEventData(functionFailedData, event.data, event.name);
      return step.run('record', () =>
        recordDeadLetter(getDb(), { functionId: data.function_id, runId: data.run_id, error: data.error, event: data.event }),
      );
    },
  );
