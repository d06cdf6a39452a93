import type { DeadLetterReplayer } from '@/lib/dead-letters';
import { inngest } from './client';
import { replayRun } from './engine';
import { engineMode, type EngineMode } from './mode';

/**
 * How a dead letter is started again, per engine (lib/dead-letters takes it as a port):
 * - embedded: a fresh run of the one failed function with the same event, in the engine's tables;
 * - real Inngest (Cloud, self-hosted, dev): the same event re-sent under a new event id (the old
 *   id would be deduplicated for 24 h). Every function triggered by that event receives it again;
 *   that is safe because each consumer is idempotent on the business record it applies (the outbox
 *   event id in `data.eventId`, a delivery that already succeeded, an inbox row already processed),
 *   so the ones that already succeeded do nothing.
 */
export function deadLetterReplayer(mode: EngineMode = engineMode()): DeadLetterReplayer {
  if (mode === 'embedded') return (letter) => replayRun(letter.functionId, letter.payload);
  return async (letter) => {
    const { name, data } = letter.payload as { name?: unknown; data?: unknown };
    if (typeof name !== 'string') throw new Error(`dead letter ${letter.id} has no event name to re-send`);
    await inngest.send({ id: `replay-${letter.id}-${Date.now()}`, name, data: (data ?? {}) as Record<string, unknown> });
    return { runId: null };
  };
}
