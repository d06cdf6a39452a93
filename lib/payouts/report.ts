import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import type { Payout } from '@/db/schema';
import { invariant } from '@/lib/errors';
import type { Currency } from '@/lib/money';

/** Stripe's reporting categories, as far as our ledger has them. */
export type ReportCategory = 'charge' | 'refund' | 'refund_failure' | 'reversal' | 'settlement' | 'adjustment' | 'pending_carried_over';

/** One line of a payout's reconciliation report: what it paid out and where that money came from. */
export interface PayoutReportLine {
  balanceTransactionId: string;
  category: ReportCategory;
  created: Date;
  currency: Currency;
  /** What the payment or refund moved, before our fee. */
  grossMinor: number;
  feeMinor: number;
  netMinor: number;
  paymentIntentId: string | null;
  refundId: string | null;
}

const CATEGORY: Record<string, ReportCategory> = {
  capture: 'charge',
  refund: 'refund',
  refund_failed: 'refund_failure',
  reversal: 'reversal',
  settlement: 'settlement',
  // reconciliation's settlement of matched lines (branch recon): shown as one settlement line
  recon_settlement: 'settlement',
};

type Row = {
  id: string;
  kind: string;
  created_at: string | Date;
  payment_intent_id: string | null;
  refund_id: string | null;
  gross: string;
  fee: string;
  net: string;
};

/**
 * The payments, refunds and fees a payout contains (Stripe's payout reconciliation report), in
 * ledger order. A payout contains balance transactions that changed the available balance
 * (payout_items). A settlement that names its payment or refund is that line itself; the daily
 * sweep of the whole pending balance (settle-balances) names none, so it is broken down into
 * the captures, fees and refunds that reached pending since the previous sweep, plus a
 * "pending_carried_over" line for any difference (a capture booked while the sweep ran goes with
 * the next one). Reconciliation's settlement (recon_settlement) is broken down into the payments
 * whose matched lines it released (settlement_items), each with what it moved to available.
 * The nets always add up to the payout's amount (asserted).
 */
export async function payoutReport(payout: Payout): Promise<PayoutReportLine[]> {
  const pending = `acct_merchant_pending.${payout.merchantId}.${payout.currency}`;
  const rows = await getDb().execute<Row>(sql`
    with items as (
      select t.id, t.seq, t.kind, t.created_at, t.payment_intent_id, t.refund_id, i.available_delta_minor
        from payout_items i
        join journal_transactions t on t.id = i.journal_transaction_id
       where i.payout_id = ${payout.id}
    ),
    sweeps as (
      select t.id, t.seq, lag(t.seq, 1, 0::bigint) over (order by t.seq) as previous_seq
        from journal_transactions t
       where t.merchant_id = ${payout.merchantId} and t.currency = ${payout.currency}
         and t.kind = 'settlement' and t.payment_intent_id is null and t.refund_id is null
    ),
    swept as (
      select s.id as sweep_id, t.id, t.seq, t.kind, t.created_at, t.payment_intent_id, t.refund_id,
             coalesce(sum(-e.amount_minor) filter (where e.account_id = ${pending}), 0) as net,
             coalesce(sum(-e.amount_minor) filter (where a.kind = 'fee_revenue'), 0) as fee
        from items i
        join sweeps s on s.id = i.id
        join journal_transactions t on t.merchant_id = ${payout.merchantId} and t.currency = ${payout.currency}
                                   and t.seq > s.previous_seq and t.seq < s.seq and t.kind <> 'settlement'
        join journal_entries e on e.transaction_id = t.id
        join ledger_accounts a on a.id = e.account_id
       group by s.id, t.id
      having coalesce(sum(e.amount_minor) filter (where e.account_id = ${pending}), 0) <> 0
    )
    select id, kind, created_at, payment_intent_id, refund_id, (net + fee)::text as gross, fee::text as fee, net::text as net, seq
      from swept
    union all
    select i.id || ':carried', 'pending_carried_over', i.created_at, null, null,
           (i.available_delta_minor - coalesce((select sum(net) from swept w where w.sweep_id = i.id), 0))::text,
           '0',
           (i.available_delta_minor - coalesce((select sum(net) from swept w where w.sweep_id = i.id), 0))::text,
           i.seq
      from items i
     where exists (select 1 from sweeps s where s.id = i.id)
       and i.available_delta_minor <> coalesce((select sum(net) from swept w where w.sweep_id = i.id), 0)
    union all
    -- reconciliation's settlement names the PSP lines it settled (settlement_items): each payment
    -- it released is its own charge line, with our fee on it; together they are what it moved
    select i.id || ':' || si.line_id, 'capture', i.created_at, si.payment_intent_id, null,
           (si.released_minor + coalesce(lps.fee_minor, 0))::text, coalesce(lps.fee_minor, 0)::text, si.released_minor::text, i.seq
      from items i
      join journal_transactions t on t.id = i.id
      join settlement_items si on si.posting_event_id = t.event_id
      left join ledger_payment_states lps on lps.payment_intent_id = si.payment_intent_id
     where i.kind = 'recon_settlement' and si.released_minor <> 0
    union all
    select i.id, i.kind, i.created_at, i.payment_intent_id, i.refund_id, i.available_delta_minor::text, '0', i.available_delta_minor::text, i.seq
      from items i
     where not exists (select 1 from sweeps s where s.id = i.id) and i.kind <> 'recon_settlement'
     order by seq, id`);
  const lines = rows.map(
    (r): PayoutReportLine => ({
      // a line broken out of a posting names that posting (its balance transaction)
      balanceTransactionId: r.id.split(':')[0]!,
      category: r.kind === 'pending_carried_over' ? 'pending_carried_over' : (CATEGORY[r.kind] ?? 'adjustment'),
      created: new Date(r.created_at),
      currency: payout.currency as Currency,
      grossMinor: Number(r.gross),
      feeMinor: Number(r.fee),
      netMinor: Number(r.net),
      paymentIntentId: r.payment_intent_id,
      refundId: r.refund_id,
    }),
  );
  const total = lines.reduce((sum, l) => sum + l.netMinor, 0);
  invariant(total === payout.amountMinor, `payout ${payout.id}'s report nets ${total}, its amount is ${payout.amountMinor}`);
  return lines;
}

const CSV_HEADER = ['balance_transaction_id', 'created_utc', 'reporting_category', 'currency', 'gross', 'fee', 'net', 'payment_intent_id', 'refund_id', 'payout_id'];

/** A CSV cell: quoted when it holds a separator, a quote or a line break; formula starts defused. */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The report as CSV, amounts in minor units (as the API reports them). */
export function payoutReportCsv(payout: Payout, lines: PayoutReportLine[]): string {
  const out = [CSV_HEADER.join(',')];
  for (const l of lines) {
    out.push(
      [l.balanceTransactionId, l.created.toISOString(), l.category, l.currency, String(l.grossMinor), String(l.feeMinor), String(l.netMinor), l.paymentIntentId ?? '', l.refundId ?? '', payout.id]
        .map(cell)
        .join(','),
    );
  }
  return `${out.join('\r\n')}\r\n`;
}
