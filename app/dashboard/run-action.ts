import { revalidatePath } from 'next/cache';
import type { Permission } from '@/lib/auth/permissions';
import { toActionResult, type ActionResult, type DashboardActor } from '@/lib/dashboard/actor';
import { ActionError, guardAction } from './guard';

/**
 * The body of a dashboard server action: guard first (signed in, permission, same origin), then
 * the lib function, its outcome as a form result, and fresh pages on success. A redirect to
 * /login from the guard is re-thrown for Next to handle.
 */
export async function runGuarded<T>(
  permission: Permission,
  run: (actor: DashboardActor) => Promise<T>,
  revalidate: string[] = [],
): Promise<ActionResult<T>> {
  let actor: DashboardActor;
  try {
    actor = await guardAction(permission);
  } catch (err) {
    if (err instanceof ActionError) return { ok: false, error: err.message };
    throw err;
  }
  const result = await toActionResult(() => run(actor));
  if (result.ok) for (const path of revalidate) revalidatePath(path);
  return result;
}

export function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** An optional form field: empty means "not given". */
export function optionalField(form: FormData, name: string): string | undefined {
  const value = field(form, name)?.trim();
  return value ? value : undefined;
}
