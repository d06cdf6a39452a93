import type { DbOrTx } from '@/db/client';
import { recordAudit } from '@/lib/audit';
import { can, type Permission } from '@/lib/auth/permissions';
import type { SessionUser } from '@/lib/auth/users';
import { AppError, normalizeError } from '@/lib/errors';

/** Who runs a dashboard action, and from where (for the audit log). */
export interface DashboardActor {
  user: Pick<SessionUser, 'id' | 'email' | 'role' | 'merchantId'>;
  ip: string | null;
}

/** The result a dashboard form shows: the data, or the domain's own message. */
export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: string; field?: string };

/** Refuses the action unless the actor's role has the permission (checked on the server, always). */
export function authorize(actor: DashboardActor, permission: Permission): void {
  if (!can(actor.user, permission)) throw new AppError('forbidden', 'Your role does not allow this action.');
}

export async function audit(
  db: DbOrTx,
  actor: DashboardActor,
  action: string,
  target: { type: string; id: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(db, {
    merchantId: actor.user.merchantId,
    userId: actor.user.id,
    actorEmail: actor.user.email,
    action,
    targetType: target.type,
    targetId: target.id,
    ip: actor.ip,
    details,
  });
}

/**
 * Runs an action for a form: AppErrors become their message (insufficient balance, wrong
 * state...); anything else is logged and shown as a generic failure, never leaked.
 */
export async function toActionResult<T>(run: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await run() };
  } catch (err) {
    const appError = normalizeError(err);
    return {
      ok: false,
      error:
        appError.code === 'internal_error'
          ? 'Something went wrong on our side. Nothing was changed; try again.'
          : appError.message,
      // the form highlights the field a validation error names
      ...(appError.param ? { field: appError.param } : {}),
    };
  }
}

/** A validation failure the form shows as is (and that never claims an idempotency key). */
export function invalid(message: string, param?: string): AppError {
  return new AppError('parameter_invalid', message, param ? { param } : {});
}
