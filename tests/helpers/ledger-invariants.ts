import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { getDb, type DbOrTx } from '@/db/client';
import { merchants } from '@/db/schema';
import { newId } from '@/lib/ids';

/**
 * Ledger invariants any money test can assert after moving money (whole database):
 * - every journal transaction has >= 2 entries and sums to zero per currency
 * - conservation: all entries of a currency sum to zero
 * - every account's balance (sum of all its shards) equals the sum of its entries
 * - no merchant balance is negative beyond its overdraft (pending never)
 * - each payment's ledger state agrees with its postings, and refunded <= captured
 */
export async function assertLedgerInvariants(db: DbOrTx = getDb()): Promise<void> {
  await assertEveryTransactionBalanced(db);
  await assertConservation(db);
  await assertBalancesEqualEntries(db);
  await assertNoNegativeWallets(db);
  await assertPaymentStatesMatchPostings(db);
}

export async function assertEveryTransactionBalanced(db: DbOrTx = getDb()): Promise<void> {
  const unbalanced = await db.execute(sql`
    select transaction_id, currency, sum(amount_minor)::text as total from journal_entries
     group by transaction_id, currency having sum(amount_minor) <> 0`);
  expect(unbalanced, 'journal transactions that do not sum to zero').toEqual([]);
  const thin = await db.execute(sql`
    select t.id, count(e.id)::int as entries from journal_transactions t left join journal_entries e on e.transaction_id = t.id
     group by t.id having count(e.id) < 2`);
  expect(thin, 'journal transactions with fewer than two entries').toEqual([]);
}

export async function assertConservation(db: DbOrTx = getDb()): Promise<void> {
  const rows = await db.execute(sql`
    select currency, sum(amount_minor)::text as total from journal_entries group by currency having sum(amount_minor) <> 0`);
  expect(rows, 'currencies whose entries do not sum to zero').toEqual([]);
}

export async function assertBalancesEqualEntries(db: DbOrTx = getDb()): Promise<void> {
  const rows = await db.execute(sql`
    with entry_sums as (
      select a.id, sum(e.amount_minor) * (case when a.kind in ('psp_clearing', 'bank') then 1 else -1 end) as from_entries
        from ledger_accounts a join journal_entries e on e.account_id = a.id group by a.id, a.kind
    ),
    shard_sums as (select account_id as id, sum(balance_minor) as from_shards from ledger_balances group by account_id)
    select coalesce(e.id, s.id) as account_id, coalesce(e.from_entries, 0)::text as from_entries, coalesce(s.from_shards, 0)::text as from_shards
      from entry_sums e full join shard_sums s on s.id = e.id
     where coalesce(e.from_entries, 0) <> coalesce(s.from_shards, 0)`);
  expect(rows, 'accounts whose balance differs from the sum of their entries').toEqual([]);
  const orphans = await db.execute(sql`
    select e.id from journal_entries e left join ledger_accounts a on a.id = e.account_id where a.id is null or a.currency <> e.currency`);
  expect(orphans, 'entries without a matching account').toEqual([]);
}

export async function assertNoNegativeWallets(db: DbOrTx = getDb()): Promise<void> {
  const rows = await db.execute(sql`
    select a.id, sum(b.balance_minor)::text as balance, coalesce(w.overdraft_limit_minor, 0)::text as overdraft
      from ledger_accounts a
      join ledger_balances b on b.account_id = a.id
      left join wallet_settings w on w.merchant_id = a.merchant_id and w.currency = a.currency
     where a.kind in ('merchant_pending', 'merchant_available')
     group by a.id, a.kind, w.overdraft_limit_minor
    having sum(b.balance_minor) < case when a.kind = 'merchant_available' then -coalesce(w.overdraft_limit_minor, 0) else 0 end`);
  expect(rows, 'merchant balances below zero (or below the overdraft)').toEqual([]);
}

export async function assertPaymentStatesMatchPostings(db: DbOrTx = getDb()): Promise<void> {
  const rows = await db.execute(sql`
    with from_postings as (
      select t.payment_intent_id,
             coalesce(sum(e.amount_minor) filter (where t.kind = 'capture' and a.kind = 'psp_clearing'), 0) as captured,
             coalesce(sum(-e.amount_minor) filter (where a.kind = 'refunds_in_transit' and t.kind in ('refund', 'refund_failed')), 0) as refunded
        from journal_transactions t join journal_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
       where t.payment_intent_id is not null
       group by t.payment_intent_id
    )
    select s.payment_intent_id, s.captured_minor::text, p.captured::text, s.refunded_minor::text, p.refunded::text
      from ledger_payment_states s left join from_postings p on p.payment_intent_id = s.payment_intent_id
     where p.payment_intent_id is null or s.captured_minor <> p.captured or s.refunded_minor <> p.refunded
        or s.refunded_minor > s.captured_minor`);
  expect(rows, 'payments whose ledger state disagrees with their postings').toEqual([]);
}

/** A bare merchant row for ledger tests (ledger accounts reference merchants). */
export async function insertLedgerMerchant(db: DbOrTx = getDb()): Promise<string> {
  const id = newId('merchant');
  await db.insert(merchants).values({ id, name: `Ledger test ${id}`, email: `${id.toLowerCase()}@example.test` });
  return id;
}
