'use server';

import { revalidatePath } from 'next/cache';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { createApiKey, revokeApiKey, rollApiKey, type CreatedKey } from '@/lib/auth/api-keys';
import { field, runAction } from '../settings/run-action';

export async function createKeyAction(_prev: ActionResult<CreatedKey>, _form: FormData): Promise<ActionResult<CreatedKey>> {
  const result = await runAction('keys:write', (actor) => createApiKey(actor));
  revalidatePath('/dashboard/developers');
  return result;
}

export async function rollKeyAction(_prev: ActionResult<CreatedKey>, form: FormData): Promise<ActionResult<CreatedKey>> {
  const result = await runAction('keys:write', (actor) => rollApiKey(actor, { keyId: field(form, 'keyId') }));
  revalidatePath('/dashboard/developers');
  return result;
}

export async function revokeKeyAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const result = await runAction('keys:write', async (actor) => {
    await revokeApiKey(actor, { keyId: field(form, 'keyId') });
    return null;
  });
  revalidatePath('/dashboard/developers');
  return result;
}
