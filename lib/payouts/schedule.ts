import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { payouts, payoutSettings, PAYOUT_INTERVALS, type PayoutInterval, type PayoutSettings } from '@/db/schema';
import { AppError } from '@/lib/errors';
import type { Currency } from '@/lib/money';
import { createPayout, markPayoutPaid, periodKeyFor } from './payouts';

export interface PayoutRun {
  created: { payoutId: string; merchantId: string; currency: string; amountMinor: number }[];
  skipped: { merchantId: string; currency: string; reason: string }[];
  paid: string[];
}

/**
 * The payout cron's work at `now`: every merchant on a daily or weekly schedule with a positive
 * available balance gets its period's payout (createPayout is idempotent per period, so a re-run
 * or a concurrent run pays nothing twice), then every payout due at the bank is booked as paid.
 */
export async function runScheduledPayouts(now = new Date()): Promise<PayoutRun> {
  const wallets = await getDb().execute<{ merchant_id: string; currency: string; interval: PayoutInterval | null }>(sql`
    select a.merchant_id, a.currency, s.interval
      from ledger_accounts a
      join ledger_balances b on b.account_id = a.id
      left join payout_settings s on s.merchant_id = a.merchant_id
     where a.kind = 'merchant_available'
     group by a.merchant_id, a.currency, s.interval
    having sum(b.balance_minor) > 0
     order by a.merchant_id, a.currency`);
  const run: PayoutRun = { created: [], skipped: [], paid: [] };
  for (const w of wallets) {
    const interval = w.interval ?? 'daily';
    if (interval === 'manual') {
      run.skipped.push({ merchantId: w.merchant_id, currency: w.currency, reason: 'manual payouts' });
      continue;
    }
    const outcome = await createPayout({ merchantId: w.merchant_id, currency: w.currency as Currency, periodKey: periodKeyFor(interval, now), now });
    if (outcome.created)
      run.created.push({ payoutId: outcome.payout.id, merchantId: w.merchant_id, currency: w.currency, amountMinor: outcome.payout.amountMinor });
    else run.skipped.push({ merchantId: w.merchant_id, currency: w.currency, reason: outcome.reason });
  }
  run.paid = await payDuePayouts(now);
  return run;
}

/** Books the bank transfers of the payouts due by `now` (the sandbox bank pays on arrival date). */
export async function payDuePayouts(now = new Date()): Promise<string[]> {
  const due = await getDb()
    .select({ id: payouts.id })
    .from(payouts)
    .where(and(eq(payouts.status, 'in_transit'), lte(payouts.arrivalDate, now)))
    .orderBy(asc(payouts.arrivalDate))
    .limit(1000);
  const paid: string[] = [];
  for (const p of due) if ((await markPayoutPaid(p.id, now)).paid) paid.push(p.id);
  return paid;
}

/** A merchant's payout settings; without a row, daily payouts to the sandbox test bank account. */
export async function getPayoutSettings(merchantId: string): Promise<Pick<PayoutSettings, 'interval' | 'bankAccountHolder' | 'bankAccountLast4'>> {
  const [row] = await getDb().select().from(payoutSettings).where(eq(payoutSettings.merchantId, merchantId));
  return { interval: row?.interval ?? 'daily', bankAccountHolder: row?.bankAccountHolder ?? null, bankAccountLast4: row?.bankAccountLast4 ?? null };
}

/**
 * A manual payout of the whole available balance, asked for by the merchant. `requestKey` names
 * the request (the dashboard form sends one per rendering), so a double submit pays out once.
 */
export async function requestManualPayout(merchantId: string, currency: Currency, requestKey: string) {
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(requestKey)) throw new AppError('parameter_invalid', 'The payout request key is malformed.', { param: 'request_key' });
  const outcome = await createPayout({ merchantId, currency, periodKey: `manual:${requestKey}` });
  if (!outcome.created && outcome.reason === 'nothing_available')
    throw new AppError('insufficient_balance', `There is no available ${currency.toUpperCase()} balance to pay out.`);
  return outcome;
}

export { PAYOUT_INTERVALS };
