import { eq, and } from 'drizzle-orm';
import { getDb, type DbOrTx } from '@/db/client';
import { auditLog, type AuditEntry } from '@/db/schema';
import { newId } from '@/lib/ids';
import { keysetPage, nextCursor } from '@/lib/pagination';

export interface AuditInput {
  merchantId: string;
  userId: string | null;
  actorEmail: string | null;
  /** e.g. "payment.refund", "api_key.create", "team.invite" */
  action: string;
  targetType?: string;
  targetId?: string;
  ip: string | null;
  details?: Record<string, unknown>;
}

/** Records a state-changing action; call it in the action's own transaction where there is one. */
export async function recordAudit(db: DbOrTx, entry: AuditInput): Promise<void> {
  await db.insert(auditLog).values({
    id: newId('auditEntry'),
    merchantId: entry.merchantId,
    userId: entry.userId,
    actorEmail: entry.actorEmail,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: entry.ip,
    details: entry.details ?? {},
  });
}

/** The audit page's entries, newest first, `before` being the last entry of the previous page. */
export async function listAudit(merchantId: string, options: { limit?: number; before?: string } = {}): Promise<{ rows: AuditEntry[]; nextCursor: string | null }> {
  const mine = eq(auditLog.merchantId, merchantId);
  const page = await keysetPage({
    request: { limit: Math.min(Math.max(options.limit ?? 50, 1), 200), starting_after: options.before },
    table: auditLog,
    id: auditLog.id,
    keys: [auditLog.createdAt, auditLog.id],
    scope: mine,
    unknownCursor: 'first_page',
    query: ({ where, orderBy, limit }) =>
      getDb()
        .select()
        .from(auditLog)
        .where(and(mine, where))
        .orderBy(...orderBy)
        .limit(limit),
  });
  return { rows: page.rows, nextCursor: nextCursor(page, (r) => r.id) };
}
