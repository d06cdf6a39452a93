import type { ActionResult } from '@/components/dashboard/access/action-result';
import type { Permission } from '@/lib/auth/permissions';
import type { Actor } from '@/lib/team/actor';
import { runGuarded } from '../run-action';

/**
 * Runs a dashboard server action of the access pages: the same guard and result as every other
 * dashboard action (runGuarded), typed for the access forms.
 */
export async function runAction<T>(permission: Permission, run: (actor: Actor) => Promise<T>): Promise<ActionResult<T>> {
  return runGuarded(permission, run);
}

export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
