import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { payouts, payoutSettings, PAYOUT_INTERVALS, type Payout } from '@/db/schema';
import { audit, authorize, type DashboardActor } from '@/lib/dashboard/actor';
import { AppError } from '@/lib/errors';
import { parseFormInput } from '@/lib/http/validation';
import { parseCurrency } from '@/lib/money';
import { byCreation, keysetPage, nextCursor } from '@/lib/pagination';
import { getPayoutSettings, requestManualPayout } from './schedule';

export const payoutSettingsInput = z.object({
  interval: z.enum(PAYOUT_INTERVALS, { message: 'Choose daily, weekly or manual payouts.' }),
  bankAccountHolder: z
    .string()
    .trim()
    .max(120, 'The account holder name is too long.')
    .transform((v) => (v === '' ? null : v)),
  bankAccountLast4: z
    .string()
    .trim()
    .regex(/^(\d{4})?$/, 'Enter the last four digits of the bank account, or leave it empty.')
    .transform((v) => (v === '' ? null : v)),
});

/** The owner sets the payout schedule and the (test) bank account; audited. */
export async function updatePayoutSettings(actor: DashboardActor, input: z.input<typeof payoutSettingsInput>): Promise<void> {
  authorize(actor, 'settings:write');
  const values = parseFormInput(payoutSettingsInput, input);
  const merchantId = actor.user.merchantId;
  await getDb().transaction(async (tx) => {
    await tx
      .insert(payoutSettings)
      .values({ merchantId, ...values })
      .onConflictDoUpdate({ target: payoutSettings.merchantId, set: { ...values, updatedAt: new Date() } });
    await audit(tx, actor, 'payouts.settings_update', { type: 'merchant', id: merchantId }, values);
  });
}

/** "Pay out now" from the dashboard: the owner only, idempotent per form rendering (requestKey). */
export async function payOutNow(actor: DashboardActor, input: { currency: string | undefined; requestKey: string | undefined }): Promise<Payout> {
  authorize(actor, 'payments:write');
  // as at Stripe: a merchant on an automatic schedule is paid by it, never also by hand
  if ((await getPayoutSettings(actor.user.merchantId)).interval !== 'manual')
    throw new AppError('parameter_invalid', 'Payouts are automatic on your schedule; switch to manual payouts to pay out by hand.', { param: 'interval' });
  const currency = parseCurrency(input.currency ?? '');
  const outcome = await requestManualPayout(actor.user.merchantId, currency, input.requestKey ?? '');
  if (outcome.created) await audit(getDb(), actor, 'payout.create', { type: 'payout', id: outcome.payout.id }, { amountMinor: outcome.payout.amountMinor, currency });
  return outcome.payout!;
}

/** The dashboard's payouts list, newest first; `before` is the last payout of the previous page. */
export async function listPayoutsPage(merchantId: string, options: { before?: string; limit?: number } = {}) {
  const page = await keysetPage<Payout>({
    ...byCreation(payouts),
    request: { limit: Math.min(Math.max(options.limit ?? 25, 1), 100), starting_after: options.before },
    scope: eq(payouts.merchantId, merchantId),
    unknownCursor: 'first_page',
  });
  return { rows: page.rows, nextCursor: nextCursor(page, (p) => p.id) };
}
