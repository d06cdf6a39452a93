'use server';

import { revalidatePath } from 'next/cache';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { updateReceiptSetting } from '@/lib/receipts';
import { runAction } from './run-action';

export async function saveReceiptsSettingAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  // An unchecked checkbox is absent from the form.
  const enabled = form.get('receipts_enabled') === 'on';
  const result = await runAction('settings:write', async (actor) => {
    await updateReceiptSetting(actor, enabled);
    return null;
  });
  revalidatePath('/dashboard/settings');
  return result;
}
