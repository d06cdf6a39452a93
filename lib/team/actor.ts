import type { z } from 'zod';
import type { Permission } from '@/lib/auth/permissions';
import { authorize, type DashboardActor } from '@/lib/dashboard/actor';
import { AppError } from '@/lib/errors';

/** Who is acting on the dashboard, and from where (for the audit log): one type for all pages. */
export type Actor = DashboardActor;

/** The server actions check this too (guardAction); the domain checks again so it is safe on its own. */
export function assertCan(actor: Actor, permission: Permission): void {
  authorize(actor, permission);
}

/** Parses input or throws a 400 AppError naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError('parameter_invalid', issue?.message ?? 'Invalid input.', { param: issue?.path.join('.') || undefined });
}

export function auditActor(actor: Actor) {
  return { merchantId: actor.user.merchantId, userId: actor.user.id, actorEmail: actor.user.email, ip: actor.ip };
}
