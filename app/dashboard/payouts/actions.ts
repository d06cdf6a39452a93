'use server';

import type { Payout } from '@/db/schema';
import type { ActionResult } from '@/lib/dashboard/actor';
import { payOutNow, updatePayoutSettings } from '@/lib/payouts';
import { field, runGuarded } from '../run-action';

const PATHS = ['/dashboard/payouts'];

export async function savePayoutSettingsAction(_prev: ActionResult<void> | null, form: FormData): Promise<ActionResult<void>> {
  return runGuarded(
    'settings:write',
    (actor) =>
      updatePayoutSettings(actor, {
        interval: (field(form, 'interval') ?? '') as 'daily',
        bankAccountHolder: field(form, 'bankAccountHolder') ?? '',
        bankAccountLast4: field(form, 'bankAccountLast4') ?? '',
      }),
    PATHS,
  );
}

export async function payOutNowAction(_prev: ActionResult<{ message: string }> | null, form: FormData): Promise<ActionResult<{ message: string }>> {
  return runGuarded(
    'payments:write',
    async (actor) => {
      const payout: Payout = await payOutNow(actor, { currency: field(form, 'currency'), requestKey: field(form, 'requestKey') });
      return { message: `Payout ${payout.id} is on its way.` };
    },
    PATHS,
  );
}
