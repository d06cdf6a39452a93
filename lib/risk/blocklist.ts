import { and, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { blocklistEntries, type BlocklistEntry } from '@/db/schema';
import { newId } from '@/lib/ids';

export type BlocklistKind = BlocklistEntry['kind'];

/** Values are stored as the risk check compares them: emails lower-cased, everything trimmed. */
export function normalizeBlocklistValue(kind: BlocklistKind, value: string): string {
  const trimmed = value.trim();
  return kind === 'email' ? trimmed.toLowerCase() : trimmed;
}

/**
 * Adds an entry, or returns the one already there for the same kind and value (unique per
 * merchant), so adding twice is harmless.
 */
export async function upsertBlocklistEntry(
  db: DbOrTx,
  entry: { merchantId: string; kind: BlocklistKind; value: string; reason?: string | null },
): Promise<{ entry: BlocklistEntry; created: boolean }> {
  const value = normalizeBlocklistValue(entry.kind, entry.value);
  const [inserted] = await db
    .insert(blocklistEntries)
    .values({ id: newId('blocklistEntry'), merchantId: entry.merchantId, kind: entry.kind, value, reason: entry.reason ?? null })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { entry: inserted, created: true };
  const [existing] = await db
    .select()
    .from(blocklistEntries)
    .where(
      and(
        eq(blocklistEntries.merchantId, entry.merchantId),
        eq(blocklistEntries.kind, entry.kind),
        eq(blocklistEntries.value, value),
      ),
    );
  if (!existing) throw new Error('blocklist entry vanished between insert and select');
  return { entry: existing, created: false };
}

/** Deletes one of the merchant's entries; null when there is no such entry for this merchant. */
export async function deleteBlocklistEntry(db: DbOrTx, merchantId: string, id: string): Promise<BlocklistEntry | null> {
  const [deleted] = await db
    .delete(blocklistEntries)
    .where(and(eq(blocklistEntries.id, id), eq(blocklistEntries.merchantId, merchantId)))
    .returning();
  return deleted ?? null;
}

export async function listBlocklistEntries(db: DbOrTx, merchantId: string, limit = 200): Promise<BlocklistEntry[]> {
  return db
    .select()
    .from(blocklistEntries)
    .where(eq(blocklistEntries.merchantId, merchantId))
    .orderBy(desc(blocklistEntries.createdAt))
    .limit(limit);
}
