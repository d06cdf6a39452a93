import { eq, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { deadLetters } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { createRun, loadFunction, notifyWorkers } from './store';

/**
 * Starts a fresh run of the dead letter's function with the same event. Deliberately skips the
 * function's idempotency key (an operator asked for a new run); replaying twice starts two runs,
 * and replayed_at records the latest replay.
 */
export async function replayDeadLetter(id: string, db: Db = getDb()): Promise<{ runId: string }> {
  return db.transaction(async (tx) => {
    const [letter] = await tx.select().from(deadLetters).where(eq(deadLetters.id, id)).for('update');
    if (!letter) throw new AppError('resource_missing', `No dead letter ${id}`);
    const fn = await loadFunction(tx, letter.functionId);
    if (!fn) throw new AppError('resource_missing', `Function ${letter.functionId} is no longer registered`);
    const runId = await createRun(tx, fn, letter.payload, { skipIdempotency: true });
    if (!runId) throw new AppError('internal_error', 'Replay did not start a run');
    await tx
      .update(deadLetters)
      .set({ replayedAt: sql`now()` })
      .where(eq(deadLetters.id, id));
    await notifyWorkers(tx);
    return { runId };
  });
}
