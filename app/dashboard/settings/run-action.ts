import type { ActionResult } from '@/components/dashboard/access/action-result';
import type { Permission } from '@/lib/auth/permissions';
import { AppError, normalizeError } from '@/lib/errors';
import type { Actor } from '@/lib/team/actor';
import { ActionError, guardAction } from '../guard';

/**
 * Runs a dashboard server action: guardAction first (signed in, permission, same origin), then the
 * domain function. Refusals and domain errors come back as a typed result for the form; anything
 * unexpected is logged and shown as a generic message.
 */
export async function runAction<T>(permission: Permission, run: (actor: Actor) => Promise<T>): Promise<ActionResult<T>> {
  let actor: Actor;
  try {
    actor = await guardAction(permission);
  } catch (err) {
    if (err instanceof ActionError) return { ok: false, error: err.message };
    throw err; // the redirect to /login of a signed-out user
  }
  try {
    return { ok: true, data: await run(actor) };
  } catch (err) {
    const appError = normalizeError(err);
    return { ok: false, error: appError.message, ...(err instanceof AppError && err.param ? { field: err.param } : {}) };
  }
}

export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
