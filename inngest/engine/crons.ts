import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { engineCrons } from '@/db/schema';
import { nextCronTime } from './cron';
import { createRun, loadFunction, notifyWorkers } from './store';

export const SCHEDULED_TIMER_EVENT = 'inngest/scheduled.timer';

interface DueCron extends Record<string, unknown> {
  function_id: string;
  cron: string;
  next_run_at: Date;
}

/**
 * Starts a run for every cron that is due. The row lock (SKIP LOCKED) and the move of
 * next_run_at happen in the run's transaction, so each tick starts exactly one run even with
 * several engines. Missed ticks while every engine was down collapse into one catch-up run.
 */
export async function startDueCrons(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    const due = (await tx.execute(sql`
      select function_id, cron, next_run_at from engine_crons
      where next_run_at <= now()
      order by next_run_at
      limit 20
      for update skip locked`)) as unknown as DueCron[];
    for (const cron of due) {
      const fn = await loadFunction(tx, cron.function_id);
      const scheduledAt = new Date(cron.next_run_at);
      if (fn) {
        await createRun(tx, fn, {
          name: SCHEDULED_TIMER_EVENT,
          id: `cron-${fn.id}-${scheduledAt.toISOString()}`,
          ts: scheduledAt.getTime(),
          data: { cron: cron.cron },
        });
      }
      await tx
        .update(engineCrons)
        .set({ nextRunAt: nextCronTime(cron.cron, new Date()) })
        .where(sql`${engineCrons.functionId} = ${cron.function_id} and ${engineCrons.cron} = ${cron.cron}`);
    }
    if (due.length) await notifyWorkers(tx);
    return due.length;
  });
}
