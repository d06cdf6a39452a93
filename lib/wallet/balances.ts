import { sql } from 'drizzle-orm';
import { getDb, type DbOrTx } from '@/db/client';
import { walletSettings, type PostingKind } from '@/db/schema';
import { AppError, invariant } from '@/lib/errors';
import type { Currency } from '@/lib/money';
import { finishPage, pageStart, type PageRequest } from '@/lib/pagination';

export interface WalletBalance {
  currency: Currency;
  availableMinor: number;
  pendingMinor: number;
}

/** A merchant's balances per currency: the sum of every shard of its pending and available accounts. */
export async function getBalances(merchantId: string, db: DbOrTx = getDb()): Promise<WalletBalance[]> {
  const rows = await db.execute<{ currency: string; available: string; pending: string }>(sql`
    select a.currency,
           coalesce(sum(b.balance_minor) filter (where a.kind = 'merchant_available'), 0) as available,
           coalesce(sum(b.balance_minor) filter (where a.kind = 'merchant_pending'), 0) as pending
      from ledger_accounts a
      left join ledger_balances b on b.account_id = a.id
     where a.merchant_id = ${merchantId}
     group by a.currency
     order by a.currency`);
  return rows.map((r) => ({
    currency: r.currency as Currency,
    availableMinor: Number(r.available),
    pendingMinor: Number(r.pending),
  }));
}

export interface BalanceTransaction {
  /** The journal transaction id (jtx_...). */
  id: string;
  type: PostingKind;
  currency: Currency;
  /** Gross effect on the merchant: net + fee (a capture's gross, a refund's negative amount). */
  amountMinor: number;
  feeMinor: number;
  /** Change of the merchant's total (pending + available) balance. */
  netMinor: number;
  pendingDeltaMinor: number;
  availableDeltaMinor: number;
  /** chargeAttemptId: for a capture, the attempt that took the money (Stripe's source is its charge). */
  source: { eventId: string; paymentIntentId: string | null; refundId: string | null; chargeAttemptId: string | null };
  created: Date;
  /** The merchant's total balance in this currency right after this line. */
  balanceAfterMinor: number;
}

export interface BalanceTransactionPage {
  data: BalanceTransaction[];
  hasMore: boolean;
}

type LineRow = {
  id: string;
  seq: string;
  kind: PostingKind;
  currency: string;
  event_id: string;
  payment_intent_id: string | null;
  refund_id: string | null;
  charge_attempt_id: string | null;
  created_at: string | Date;
  pending_delta: string;
  available_delta: string;
  fee: string;
  balance_after: string;
};

/**
 * The merchant's ledger lines, newest first (Stripe's balance transactions). The running balance
 * is a window over the merchant's whole history: shards make a stored running balance impossible
 * without serializing credits, and the merchant_seq index keeps the scan to this merchant's rows.
 */
export async function listBalanceTransactions(
  merchantId: string,
  options: Partial<PageRequest> & { payout?: string; onlyId?: string } = {},
  db: DbOrTx = getDb(),
): Promise<BalanceTransactionPage> {
  const payout = options.payout ?? null;
  const limit = options.limit ?? 10;
  invariant(Number.isInteger(limit) && limit >= 1 && limit <= 100, 'limit must be 1..100');
  // seq is unique, so it alone is the keyset (the running balance needs this query's own SQL)
  const start = pageStart(options);
  const cursorSeq = start.cursor === null ? null : await seqOf(db, merchantId, start.cursor, start.toward === 'older' ? 'starting_after' : 'ending_before');
  const older = start.toward === 'older';
  const rows = await db.execute<LineRow>(sql`
    with lines as (
      select t.id, t.seq, t.kind, t.currency, t.event_id, t.payment_intent_id, t.refund_id, t.created_at,
             coalesce(sum(-e.amount_minor) filter (where a.kind = 'merchant_pending' and a.merchant_id = ${merchantId}), 0) as pending_delta,
             coalesce(sum(-e.amount_minor) filter (where a.kind = 'merchant_available' and a.merchant_id = ${merchantId}), 0) as available_delta,
             coalesce(sum(-e.amount_minor) filter (where a.kind = 'fee_revenue'), 0) as fee
        from journal_transactions t
        join journal_entries e on e.transaction_id = t.id
        join ledger_accounts a on a.id = e.account_id
       where t.merchant_id = ${merchantId}
       group by t.id
      having count(*) filter (where a.merchant_id = ${merchantId}) > 0
    ),
    running as (
      select *, sum(pending_delta + available_delta) over (partition by currency order by seq) as balance_after from lines
    )
    select running.*,
           (select pi.latest_attempt_id from payment_intents pi
             where running.kind = 'capture' and pi.id = running.payment_intent_id) as charge_attempt_id
      from running
     where (${cursorSeq}::bigint is null or (case when ${older} then seq < ${cursorSeq}::bigint else seq > ${cursorSeq}::bigint end))
       -- ?payout=po_...: the lines the payout contains and the payout's own line (lib/payouts)
       and (${payout}::text is null
            or id in (select i.journal_transaction_id from payout_items i join payouts p on p.id = i.payout_id
                       where p.id = ${payout} and p.merchant_id = ${merchantId})
            or id in (select p.journal_transaction_id from payouts p where p.id = ${payout} and p.merchant_id = ${merchantId}))
       and (${options.onlyId ?? null}::text is null or id = ${options.onlyId ?? null}::text)
     order by case when ${older} then seq end desc, seq asc
     limit ${limit + 1}`);
  const page = finishPage([...rows], limit, start.toward);
  return { data: page.rows.map(toBalanceTransaction), hasMore: page.hasMore };
}

/** One balance transaction (its running balance computed as in the list). */
export async function getBalanceTransaction(merchantId: string, id: string, db: DbOrTx = getDb()): Promise<BalanceTransaction> {
  const { data } = await listBalanceTransactions(merchantId, { limit: 1, onlyId: id }, db);
  if (!data[0]) throw new AppError('resource_missing', `No such balance transaction: '${id}'`, { param: 'id' });
  return data[0];
}

async function seqOf(db: DbOrTx, merchantId: string, journalTransactionId: string, param: 'starting_after' | 'ending_before'): Promise<number> {
  const rows = await db.execute<{ seq: string }>(
    sql`select seq from journal_transactions where id = ${journalTransactionId} and merchant_id = ${merchantId}`,
  );
  if (!rows[0])
    throw new AppError('resource_missing', `No balance transaction ${journalTransactionId}.`, { param });
  return Number(rows[0].seq);
}

function toBalanceTransaction(r: LineRow): BalanceTransaction {
  const pending = Number(r.pending_delta);
  const available = Number(r.available_delta);
  const fee = Number(r.fee);
  const net = pending + available;
  return {
    id: r.id,
    type: r.kind,
    currency: r.currency as Currency,
    amountMinor: net + fee,
    feeMinor: fee,
    netMinor: net,
    pendingDeltaMinor: pending,
    availableDeltaMinor: available,
    source: { eventId: r.event_id, paymentIntentId: r.payment_intent_id, refundId: r.refund_id, chargeAttemptId: r.charge_attempt_id },
    created: new Date(r.created_at),
    balanceAfterMinor: Number(r.balance_after),
  };
}

/** Lets a merchant's available balance go down to -limit (e.g. to absorb refunds before payouts). */
export async function setOverdraftLimit(
  db: DbOrTx,
  merchantId: string,
  currency: Currency,
  overdraftLimitMinor: number,
): Promise<void> {
  invariant(Number.isSafeInteger(overdraftLimitMinor) && overdraftLimitMinor >= 0, 'overdraft limit is a non-negative integer');
  await db
    .insert(walletSettings)
    .values({ merchantId, currency, overdraftLimitMinor })
    .onConflictDoUpdate({
      target: [walletSettings.merchantId, walletSettings.currency],
      set: { overdraftLimitMinor, updatedAt: new Date() },
    });
}
