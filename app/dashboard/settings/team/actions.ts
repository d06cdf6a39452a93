'use server';

import { revalidatePath } from 'next/cache';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { changeRole, inviteMember, removeMember, type Invited, type Role } from '@/lib/team/members';
import { field, runAction } from '../run-action';

export async function inviteAction(_prev: ActionResult<Invited>, form: FormData): Promise<ActionResult<Invited>> {
  const result = await runAction('team:write', (actor) =>
    inviteMember(actor, { email: field(form, 'email'), role: field(form, 'role') as Role }),
  );
  revalidatePath('/dashboard/settings/team');
  return result;
}

export async function changeRoleAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const result = await runAction('team:write', async (actor) => {
    await changeRole(actor, { userId: field(form, 'userId'), role: field(form, 'role') as Role });
    return null;
  });
  revalidatePath('/dashboard/settings/team');
  return result;
}

export async function removeMemberAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const result = await runAction('team:write', async (actor) => {
    await removeMember(actor, { userId: field(form, 'userId') });
    return null;
  });
  revalidatePath('/dashboard/settings/team');
  return result;
}
