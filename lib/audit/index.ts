import { and, desc, eq, lt } from 'drizzle-orm';
import { getDb, type DbOrTx } from '@/db/client';
import { auditLog, type AuditEntry } from '@/db/schema';
import { newId } from '@/lib/ids';

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

export async function listAudit(merchantId: string, options: { limit?: number; before?: string } = {}): Promise<{ rows: AuditEntry[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const db = getDb();
  let beforeDate: Date | undefined;
  if (options.before) {
    const [cursor] = await db.select({ createdAt: auditLog.createdAt }).from(auditLog).where(and(eq(auditLog.id, options.before), eq(auditLog.merchantId, merchantId)));
    beforeDate = cursor?.createdAt;
  }
  const rows = await db
    .select()
    .from(auditLog)
    .where(beforeDate ? and(eq(auditLog.merchantId, merchantId), lt(auditLog.createdAt, beforeDate)) : eq(auditLog.merchantId, merchantId))
    .orderBy(desc(auditLog.createdAt))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}
