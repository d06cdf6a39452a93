'use server';

import { revalidatePath } from 'next/cache';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { updateLateSuccessPolicy, updateMerchantProfile, updatePspRouting } from '@/lib/merchants/settings';
import { field, runAction } from './run-action';

export async function saveProfileAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const result = await runAction('settings:write', async (actor) => {
    await updateMerchantProfile(actor, { name: field(form, 'name'), supportEmail: field(form, 'supportEmail') });
    return null;
  });
  revalidatePath('/dashboard', 'layout');
  return result;
}

export async function savePspRoutingAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  // The form names the first choice and an optional fallback; the domain takes the ordered list.
  const card = [field(form, 'card_primary'), field(form, 'card_fallback')].filter((v) => v !== '' && v !== 'none');
  const mpesa = [field(form, 'mpesa_primary')].filter((v) => v !== '');
  const result = await runAction('settings:write', async (actor) => {
    await updatePspRouting(actor, { card: card as never, mpesa: mpesa as never });
    return null;
  });
  revalidatePath('/dashboard/settings');
  return result;
}

export async function saveLateSuccessPolicyAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  // An unchecked checkbox is absent from the form.
  const acceptLateSuccesses = form.get('accept_late_successes') === 'on';
  const result = await runAction('settings:write', async (actor) => {
    await updateLateSuccessPolicy(actor, { acceptLateSuccesses });
    return null;
  });
  revalidatePath('/dashboard/settings');
  return result;
}
