import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import type { Currency } from '@/lib/money';
import { settle } from './settlement';

export interface SettlementRun {
  settled: { merchantId: string; currency: string; amountMinor: number }[];
  skipped: { merchantId: string; currency: string; reason: string }[];
}

/**
 * The sandbox network's payout: once a day it pays out each merchant's pending balance, which
 * moves from pending to available. The event id names the merchant, currency and payout day, so
 * a re-run on the same day posts nothing new.
 */
export async function settlePendingBalances(payoutDay: string): Promise<SettlementRun> {
  const db = getDb();
  const rows = await db.execute<{ merchant_id: string; currency: string; pending: string }>(sql`
    select a.merchant_id, a.currency, coalesce(sum(b.balance_minor), 0) as pending
      from ledger_accounts a
      join ledger_balances b on b.account_id = a.id
     where a.kind = 'merchant_pending'
     group by a.merchant_id, a.currency
    having coalesce(sum(b.balance_minor), 0) > 0
     order by a.merchant_id, a.currency`);
  const run: SettlementRun = { settled: [], skipped: [] };
  for (const row of rows) {
    const amountMinor = Number(row.pending);
    try {
      const result = await settle(db, {
        eventId: `payout:${row.merchant_id}:${row.currency}:${payoutDay}`,
        merchantId: row.merchant_id,
        currency: row.currency as Currency,
        amountMinor,
      });
      if (result.created) run.settled.push({ merchantId: row.merchant_id, currency: row.currency, amountMinor });
      else run.skipped.push({ merchantId: row.merchant_id, currency: row.currency, reason: 'already paid out today' });
    } catch (err) {
      // pending shrank (a refund) between the read and the posting: the next run pays it out
      if (err instanceof AppError && err.code === 'insufficient_balance')
        run.skipped.push({ merchantId: row.merchant_id, currency: row.currency, reason: err.message });
      else throw err;
    }
  }
  return run;
}
