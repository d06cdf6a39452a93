import type { Inngest } from 'inngest';
import { getDb } from '@/db/client';
import { FUNCTION_FAILED, functionFailedData, parseEventData } from '@/inngest/events';
import { recordDeadLetter } from '@/lib/dead-letters';

/**
 * Turns every run that failed for good into a dead letter, on either engine: real Inngest and the
 * embedded engine both send "inngest/function.failed" with the failed run's id, function, error and
 * event. Exactly-once effect: one dead letter per run id (unique), so a redelivered failure event
 * records nothing new. A failed batch run (batchEvents: its events may belong to many merchants)
 * leaves one letter per event under `<run id>#<index>`: each merchant sees and replays only its own
 * event, and a replay of an event whose work did happen is a no-op (every consumer is idempotent).
 */
export const defineRecordDeadLetter = (inngest: Inngest) =>
  inngest.createFunction(
    { id: 'record-dead-letter', retries: 10, triggers: [{ event: FUNCTION_FAILED }] },
    async ({ event, step }) => {
      const data = parseEventData(functionFailedData, event.data, event.name);
      const events = data.events && data.events.length > 1 ? data.events : [data.event];
      return step.run('record', async () => {
        const letters = [];
        for (const [i, one] of events.entries()) {
          const runId = events.length > 1 ? `${data.run_id}#${i}` : data.run_id;
          letters.push(await recordDeadLetter(getDb(), { functionId: data.function_id, runId, error: data.error, event: one }));
        }
        return letters.length === 1 ? letters[0]! : { letters };
      });
    },
  );
