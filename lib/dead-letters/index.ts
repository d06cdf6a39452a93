import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx } from '@/db/client';
import { deadLetters, type DeadLetterRow } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { randomToken } from '@/lib/ids';
import { byCreation, keysetPage, listObject, pageQuery } from '@/lib/pagination';

/**
 * Dead letters: background runs that failed for good, kept so a merchant (or an operator) can see
 * what broke and start the work again. Fed by the `inngest/function.failed` system event, which real
 * Inngest and the embedded engine both send, so the feature works on either engine.
 */

/** A run that exhausted its retries (or threw a non-retriable error), as the failure event reports it. */
export interface FailedRun {
  functionId: string;
  runId: string;
  /** The event that triggered the failed run, so a replay starts a fresh run with the same input. */
  event: Record<string, unknown>;
  error: Record<string, unknown>;
}

/** Both spellings appear in our events (outbox data uses merchantId; some payloads merchant_id). */
function merchantOf(event: Record<string, unknown>): string | null {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const merchantId = data.merchantId ?? data.merchant_id;
  return typeof merchantId === 'string' ? merchantId : null;
}

/**
 * Records one dead letter per failed run. Safe to run twice (a redelivered failure event): the
 * run id is unique, so the second insert is a no-op and returns the first letter's id.
 */
export async function recordDeadLetter(db: DbOrTx, run: FailedRun): Promise<{ id: string; created: boolean }> {
  const [inserted] = await db
    .insert(deadLetters)
    .values({
      id: `dl_${randomToken(24)}`,
      runId: run.runId,
      functionId: run.functionId,
      eventName: String(run.event.name ?? ''),
      payload: run.event,
      error: run.error,
      merchantId: merchantOf(run.event),
    })
    .onConflictDoNothing({ target: deadLetters.runId })
    .returning({ id: deadLetters.id });
  if (inserted) return { id: inserted.id, created: true };
  const [existing] = await db.select({ id: deadLetters.id }).from(deadLetters).where(eq(deadLetters.runId, run.runId));
  if (!existing) throw new AppError('internal_error', `Dead letter for run ${run.runId} was neither inserted nor found`);
  return { id: existing.id, created: false };
}

export const listDeadLettersQuery = pageQuery;

export function serializeDeadLetter(d: DeadLetterRow) {
  return {
    id: d.id,
    object: 'dead_letter' as const,
    function: d.functionId,
    event_name: d.eventName,
    payload: d.payload,
    error: d.error,
    created: Math.floor(d.createdAt.getTime() / 1000),
    replayed_at: d.replayedAt ? Math.floor(d.replayedAt.getTime() / 1000) : null,
  };
}

export async function getMerchantDeadLetter(merchantId: string, id: string): Promise<DeadLetterRow> {
  const [d] = await getDb()
    .select()
    .from(deadLetters)
    .where(and(eq(deadLetters.id, id), eq(deadLetters.merchantId, merchantId)));
  if (!d) throw new AppError('resource_missing', `No such dead_letter: '${id}'`, { param: 'id' });
  return d;
}

/** Background runs that failed for good and belong to this merchant, newest first (the API list). */
export async function listMerchantDeadLetters(merchantId: string, query: z.output<typeof listDeadLettersQuery>) {
  const page = await keysetPage<DeadLetterRow>({
    ...byCreation(deadLetters),
    request: query,
    scope: eq(deadLetters.merchantId, merchantId),
    unknownCursor: { error: 'dead_letter' },
  });
  return listObject('/v1/dead_letters', page, serializeDeadLetter);
}

/** Dead letters of this merchant not yet replayed, newest first (the dashboard's problems). */
export async function listOpenDeadLetters(merchantId: string, limit = 20): Promise<DeadLetterRow[]> {
  return getDb()
    .select()
    .from(deadLetters)
    .where(and(eq(deadLetters.merchantId, merchantId), isNull(deadLetters.replayedAt)))
    .orderBy(desc(deadLetters.createdAt))
    .limit(limit);
}

/** All dead letters of this merchant (replayed ones too), newest first. */
export async function listDeadLetters(merchantId: string, limit = 50): Promise<DeadLetterRow[]> {
  return getDb()
    .select()
    .from(deadLetters)
    .where(eq(deadLetters.merchantId, merchantId))
    .orderBy(desc(deadLetters.createdAt))
    .limit(limit);
}

/**
 * Starts the failed work again on whichever engine runs our functions. The engine-specific part
 * (a fresh run of the one function on the embedded engine, a re-sent event on real Inngest) is
 * passed in by the caller, so this context knows no engine. `runId` is null when the engine does
 * not say which run it started (real Inngest answers a send with event ids only).
 */
export type DeadLetterReplayer = (letter: Pick<DeadLetterRow, 'id' | 'functionId' | 'runId' | 'payload'>) => Promise<{ runId: string | null }>;

/**
 * Replays one of this merchant's dead letters. Deliberately not idempotent: an operator asked for a
 * new run, so replaying twice starts two runs; replayed_at records the latest replay.
 */
export async function replayDeadLetter(
  merchantId: string,
  id: string,
  replay: DeadLetterReplayer,
): Promise<{ letter: DeadLetterRow; runId: string | null }> {
  return replayLetter(await getMerchantDeadLetter(merchantId, id), replay);
}

/**
 * Replays a dead letter already authorized by the caller (a merchant's own, above, or any letter
 * for a platform operator, lib/admin) and stamps replayed_at.
 */
export async function replayLetter(letter: DeadLetterRow, replay: DeadLetterReplayer): Promise<{ letter: DeadLetterRow; runId: string | null }> {
  const { runId } = await replay(letter);
  const [updated] = await getDb().update(deadLetters).set({ replayedAt: sql`now()` }).where(eq(deadLetters.id, letter.id)).returning();
  return { letter: updated ?? letter, runId };
}
