import { getDb } from '@/db/client';
import { getFeeSchedule, type FeeSchedule } from '@/lib/ledger/fees';
import { SUPPORTED_CURRENCIES, type Currency } from '@/lib/money';
import { getBalances, listBalanceTransactions, type BalanceTransactionPage, type WalletBalance } from '@/lib/wallet';

export interface BalancesView {
  balances: WalletBalance[];
  transactions: BalanceTransactionPage;
  fees: { currency: Currency; schedule: FeeSchedule }[];
}

/** The balances page: balances per currency, one page of balance transactions, the fee schedule. */
export async function getBalancesView(
  merchantId: string,
  options: { startingAfter?: string; limit?: number } = {},
): Promise<BalancesView> {
  const db = getDb();
  const [balances, transactions, fees] = await Promise.all([
    getBalances(merchantId, db),
    listBalanceTransactions(merchantId, { limit: options.limit ?? 25, starting_after: options.startingAfter }, db),
    Promise.all(
      SUPPORTED_CURRENCIES.map(async (currency) => ({ currency, schedule: await getFeeSchedule(db, merchantId, currency) })),
    ),
  ]);
  return { balances, transactions, fees };
}

/** "2.9% + USD 0.30" from basis points and minor units, without floats. */
export function describeFee(
  schedule: FeeSchedule,
  currency: string,
  format: (minor: number, currency: string) => string,
): string {
  const whole = Math.floor(schedule.percentBps / 100);
  const frac = String(schedule.percentBps % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  const percent = frac ? `${whole}.${frac}%` : `${whole}%`;
  return schedule.fixedMinor > 0 ? `${percent} + ${format(schedule.fixedMinor, currency)}` : percent;
}
