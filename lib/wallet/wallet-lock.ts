import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { merchantAvailable, merchantPending } from '@/lib/ledger/accounts';
import type { Currency } from '@/lib/money';

export interface WalletState {
  availableMinor: number;
  pendingMinor: number;
  overdraftLimitMinor: number;
}

/**
 * Serializes the debits of one merchant wallet (all its shards) until the caller's transaction
 * ends. Credits never take it, so a busy merchant's incoming captures do not queue here.
 */
export async function lockWallet(tx: DbOrTx, merchantId: string, currency: Currency): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`wallet:${merchantId}:${currency}`}, 0))`);
}

/**
 * Sums the wallet's shards. Call it in a statement after lockWallet: under READ COMMITTED each
 * statement takes a fresh snapshot, so it sees every debit committed before the lock was granted.
 */
export async function readWalletState(tx: DbOrTx, merchantId: string, currency: Currency): Promise<WalletState> {
  const available = merchantAvailable(merchantId, currency).id;
  const pending = merchantPending(merchantId, currency).id;
  const rows = await tx.execute<{ available: string; pending: string; overdraft: string }>(sql`
    select
      coalesce((select sum(balance_minor) from ledger_balances where account_id = ${available}), 0) as available,
      coalesce((select sum(balance_minor) from ledger_balances where account_id = ${pending}), 0) as pending,
      coalesce((select overdraft_limit_minor from wallet_settings where merchant_id = ${merchantId} and currency = ${currency}), 0) as overdraft`);
  const row = rows[0];
  return {
    availableMinor: Number(row?.available ?? 0),
    pendingMinor: Number(row?.pending ?? 0),
    overdraftLimitMinor: Number(row?.overdraft ?? 0),
  };
}
