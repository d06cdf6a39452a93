import { getDb, type Db } from '@/db/client';
import { AppError } from '@/lib/errors';
import { createRun, loadFunction, notifyWorkers } from './store';

/**
 * Starts a fresh run of one function with the given event (the embedded engine's half of a
 * dead-letter replay). Deliberately skips the function's idempotency key: an operator asked for a
 * new run, so replaying twice starts two runs.
 */
export async function replayRun(functionId: string, event: Record<string, unknown>, db: Db = getDb()): Promise<{ runId: string }> {
  return db.transaction(async (tx) => {
    const fn = await loadFunction(tx, functionId);
    if (!fn) throw new AppError('resource_missing', `Function ${functionId} is no longer registered`);
    const runId = await createRun(tx, fn, event, { skipIdempotency: true });
    if (!runId) throw new AppError('internal_error', 'Replay did not start a run');
    await notifyWorkers(tx);
    return { runId };
  });
}
