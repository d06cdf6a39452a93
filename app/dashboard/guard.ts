import { headers } from 'next/headers';
import { env } from '@/lib/env';
import { clientIp } from '@/lib/http/client-ip';
import { can, isSameOrigin, type Permission } from '@/lib/auth/permissions';
import type { SessionUser } from '@/lib/auth/users';
import { requireUser } from './session';

export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionError';
  }
}

export interface ActionContext {
  user: SessionUser;
  ip: string | null;
}

/**
 * The first line of every dashboard server action: a signed-in member, with the permission, from
 * our own origin (no cross-site posts). Returns who and from where, for the audit log.
 */
export async function guardAction(permission: Permission): Promise<ActionContext> {
  const user = await requireUser();
  const h = await headers();
  if (!isSameOrigin(h, env().APP_URL)) throw new ActionError('This request did not come from the dashboard.');
  if (!can(user, permission)) throw new ActionError('Your role does not allow this action.');
  return { user, ip: clientIp(h, env().TRUST_PROXY) };
}

/** For pages: a signed-in member who may read, or may do `permission`. */
export async function requirePermission(permission: Permission): Promise<SessionUser> {
  const user = await requireUser();
  if (!can(user, permission)) throw new ActionError('Your role does not allow this page.');
  return user;
}
