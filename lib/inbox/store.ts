import { and, asc, eq, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { pspInbox, type PspInboxMessage } from '@/db/schema';
import { newId } from '@/lib/ids';

// Credentials never go into the inbox; everything else is kept for audits and replays.
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

export function storableHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!SECRET_HEADERS.has(name.toLowerCase())) kept[name.toLowerCase()] = value;
  });
  return kept;
}

export interface StoredCallback {
  inboxId: string;
  duplicate: boolean;
  processed: boolean;
}

/**
 * Stores a callback once per (psp, event id). Safe to run twice: the unique index turns a
 * redelivery into a no-op insert, and the first row's id is returned for it.
 */
export async function storeInboxMessage(input: {
  psp: string;
  pspEventId: string;
  headers: Record<string, string>;
  rawBody: string;
}): Promise<StoredCallback> {
  const db = getDb();
  const [inserted] = await db
    .insert(pspInbox)
    .values({ id: newId('inboxMessage'), ...input })
    .onConflictDoNothing({ target: [pspInbox.psp, pspInbox.pspEventId] })
    .returning({ id: pspInbox.id });
  if (inserted) return { inboxId: inserted.id, duplicate: false, processed: false };
  const [existing] = await db
    .select({ id: pspInbox.id, processedAt: pspInbox.processedAt })
    .from(pspInbox)
    .where(and(eq(pspInbox.psp, input.psp), eq(pspInbox.pspEventId, input.pspEventId)));
  if (!existing) throw new Error(`inbox conflict on ${input.psp}/${input.pspEventId} without a stored row`);
  return { inboxId: existing.id, duplicate: true, processed: existing.processedAt !== null };
}

export async function loadInboxMessage(inboxId: string): Promise<PspInboxMessage> {
  const [row] = await getDb().select().from(pspInbox).where(eq(pspInbox.id, inboxId));
  if (!row) throw new Error(`inbox message ${inboxId} not found`);
  return row;
}

/** Counts a processing try before it starts, so a message that crashes the processor is visible. */
export async function countProcessingAttempt(inboxId: string): Promise<void> {
  await getDb()
    .update(pspInbox)
    .set({ attempts: sql`${pspInbox.attempts} + 1` })
    .where(eq(pspInbox.id, inboxId));
}

/** Marks done once: a second call (a re-run after a crash) keeps the first outcome and time. */
export async function markInboxProcessed(inboxId: string, outcome: string): Promise<void> {
  await getDb()
    .update(pspInbox)
    .set({ processedAt: new Date(), outcome, processError: null })
    .where(and(eq(pspInbox.id, inboxId), isNull(pspInbox.processedAt)));
}

/**
 * Counts the try and marks done in one statement, for a message closed where it was received;
 * `condition` (optional) must also hold. false: not closed (already processed, or the condition failed).
 */
export async function closeInboxMessage(inboxId: string, outcome: string, condition?: SQL): Promise<boolean> {
  const closed = await getDb()
    .update(pspInbox)
    .set({ attempts: sql`${pspInbox.attempts} + 1`, processedAt: new Date(), outcome, processError: null })
    .where(and(eq(pspInbox.id, inboxId), isNull(pspInbox.processedAt), condition))
    .returning({ id: pspInbox.id });
  return closed.length > 0;
}

export async function recordInboxError(inboxId: string, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await getDb()
    .update(pspInbox)
    .set({ processError: message.slice(0, 2000) })
    .where(eq(pspInbox.id, inboxId));
}

/** Unprocessed rows older than `olderThanMs` that have not used up their tries, oldest first. */
export async function findStaleInboxMessages(olderThanMs: number, maxAttempts: number, limit: number): Promise<string[]> {
  const rows = await getDb()
    .select({ id: pspInbox.id })
    .from(pspInbox)
    .where(
      and(
        isNull(pspInbox.processedAt),
        lt(pspInbox.receivedAt, new Date(Date.now() - olderThanMs)),
        lt(pspInbox.attempts, maxAttempts),
      ),
    )
    .orderBy(asc(pspInbox.receivedAt))
    .limit(limit);
  return rows.map((r) => r.id);
}
