import type { Permission } from '@/lib/auth/permissions';
import { authorize, type DashboardActor } from '@/lib/dashboard/actor';

/** Who is acting on the dashboard, and from where (for the audit log): one type for all pages. */
export type Actor = DashboardActor;

/** The server actions check this too (guardAction); the domain checks again so it is safe on its own. */
export function assertCan(actor: Actor, permission: Permission): void {
  authorize(actor, permission);
}

export function auditActor(actor: Actor) {
  return { merchantId: actor.user.merchantId, userId: actor.user.id, actorEmail: actor.user.email, ip: actor.ip };
}
