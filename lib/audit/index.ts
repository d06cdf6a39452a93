import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { auditLog, type AuditEntry } from '@/db/schema';
import { newId } from '@/lib/ids';
import { byCreation, keysetPage, nextCursor } from '@/lib/pagination';

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
  const page = await keysetPage<AuditEntry>({
    ...byCreation(auditLog),
    request: { limit: Math.min(Math.max(options.limit ?? 50, 1), 200), starting_after: options.before },
    scope: eq(auditLog.merchantId, merchantId),
    unknownCursor: 'first_page',
  });
  return { rows: page.rows, nextCursor: nextCursor(page, (r) => r.id) };
}
