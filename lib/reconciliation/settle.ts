import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { AppError, invariant } from '@/lib/errors';
import { bank, merchantAvailable, merchantPending, pspClearing } from '@/lib/ledger/accounts';
import { post } from '@/lib/ledger/post';
import { transfer, type PostingLine } from '@/lib/ledger/posting-rules';
import { parseCurrency, type Currency } from '@/lib/money';
import { lockWallet } from '@/lib/wallet/wallet-lock';
import { pspCost } from './accounts';

/**
 * Settlement follows matched lines only: for every matched (or late, or fee-healed, or booked as
 * a late success) charge and refund line whose available date has come, the PSP's money moves from clearing to our bank (less
 * the PSP's contracted fee, to PSP costs), and exactly what that payment left in the merchant's
 * pending balance moves to available. One posting per merchant and currency per pass; each line
 * is settled once ever (settlement_items' key on the PSP's line id), whichever run or revision of
 * a report sees it, because the items and the posting commit in one transaction.
 */

export interface SettleResult {
  lines: number;
  releasedMinor: Record<string, number>;
  skipped: { merchantId: string; currency: string; reason: string }[];
}

/**
 * The lines settlement follows: matched ones, and a charge reconciliation booked as a late success
 * once the ledger's capture consumer has posted it (before that, pending holds nothing of it to
 * release, and a line is settled only once). Shared with the hourly pass (settleDueRuns).
 */
export const SETTLEABLE = sql`(l.outcome in ('matched', 'late', 'fee_mismatch')
    or (l.outcome = 'missing_here' and l.heal_action = 'late_success_accepted'
        and exists (select 1 from ledger_payment_states lps where lps.payment_intent_id = l.payment_intent_id and lps.captured_minor >= l.gross_minor)))
  and l.line_no is not null
  and ((l.type = 'charge' and l.attempt_id is not null) or (l.type = 'refund' and l.refund_id is not null))`;

export async function settleDueLines(runId: string, psp: string, now: Date = new Date()): Promise<SettleResult> {
  const groups = await getDb().execute<{ merchant_id: string; currency: string }>(sql`
    select distinct l.merchant_id, l.currency from recon_lines l
     where l.run_id = ${runId} and ${SETTLEABLE} and l.available_on <= ${now.toISOString()}::timestamptz
       and not exists (select 1 from settlement_items i where i.psp = ${psp} and i.line_id = l.line_id)
     order by 1, 2`);
  const result: SettleResult = { lines: 0, releasedMinor: {}, skipped: [] };
  for (const group of groups) {
    const currency = parseCurrency(group.currency);
    try {
      const settled = await getDb().transaction((tx) => settleGroup(tx, { runId, psp, merchantId: group.merchant_id, currency, now }));
      result.lines += settled.lines;
      result.releasedMinor[`${group.merchant_id}:${currency}`] = settled.releasedMinor;
    } catch (err) {
      // The merchant's pending balance cannot cover it (it moved under us): the next pass retries.
      if (!(err instanceof AppError && err.code === 'insufficient_balance')) throw err;
      result.skipped.push({ merchantId: group.merchant_id, currency, reason: err.message });
    }
  }
  return result;
}

interface GroupInput {
  runId: string;
  psp: string;
  merchantId: string;
  currency: Currency;
  now: Date;
}

async function settleGroup(tx: Tx, input: GroupInput): Promise<{ lines: number; releasedMinor: number }> {
  const eventId = `recon-settle:${input.runId}:${input.merchantId}:${input.currency}:${randomUUID()}`;
  const pending = merchantPending(input.merchantId, input.currency);
  // Serializes with every posting that debits this merchant's wallet, so what we read as left in
  // pending is still there when the posting moves it.
  await lockWallet(tx, input.merchantId, input.currency);
  const [sums] = await tx.execute<{ lines: number; gross_charges: string; psp_fees: string; refunds: string; released: string }>(sql`
    with due as (
      select l.line_id, l.type, l.payment_intent_id, l.gross_minor, l.available_on, coalesce((l.ours->>'expected_fee')::bigint, l.fee_minor) as expected_fee
        from recon_lines l
       where l.run_id = ${input.runId} and ${SETTLEABLE} and l.available_on <= ${input.now.toISOString()}::timestamptz
         and l.merchant_id = ${input.merchantId} and l.currency = ${input.currency}
    ),
    in_pending as (
      select t.payment_intent_id, -sum(e.amount_minor) as minor
        from journal_transactions t join journal_entries e on e.transaction_id = t.id
       where t.payment_intent_id in (select payment_intent_id from due where type = 'charge') and e.account_id = ${pending.id}
       group by t.payment_intent_id
    ),
    released_before as (
      select payment_intent_id, sum(released_minor) as minor from settlement_items
       where payment_intent_id in (select payment_intent_id from due where type = 'charge') group by payment_intent_id
    ),
    items as (
      insert into settlement_items (psp, line_id, run_id, merchant_id, payment_intent_id, currency, released_minor, gross_minor,
                                    psp_fee_minor, posting_event_id, available_on)
      select ${input.psp}, d.line_id, ${input.runId}, ${input.merchantId}, d.payment_intent_id, ${input.currency},
             case when d.type = 'charge' then greatest(0, coalesce(p.minor, 0) - coalesce(b.minor, 0)) else 0 end,
             d.gross_minor, case when d.type = 'charge' then d.expected_fee else 0 end, ${eventId}, d.available_on
        from due d
        left join in_pending p on p.payment_intent_id = d.payment_intent_id
        left join released_before b on b.payment_intent_id = d.payment_intent_id
      on conflict (psp, line_id) do nothing
      returning line_id, gross_minor, psp_fee_minor, released_minor
    )
    select count(*)::int as lines,
           coalesce(sum(gross_minor) filter (where gross_minor > 0), 0)::text as gross_charges,
           coalesce(sum(psp_fee_minor), 0)::text as psp_fees,
           coalesce(-sum(gross_minor) filter (where gross_minor < 0), 0)::text as refunds,
           coalesce(sum(released_minor), 0)::text as released
      from items`);
  invariant(sums, 'the settlement statement returns one row');
  if (sums.lines === 0) return { lines: 0, releasedMinor: 0 };
  const lines = settlementPostingLines(input, {
    grossCharges: Number(sums.gross_charges),
    pspFees: Number(sums.psp_fees),
    refunds: Number(sums.refunds),
    released: Number(sums.released),
  });
  if (lines.length >= 2) {
    const posted = await post(tx, {
      kind: 'recon_settlement',
      eventId,
      merchantId: input.merchantId,
      currency: input.currency,
      lines,
      description: `Settled ${sums.lines} ${input.psp} report line(s) of run ${input.runId}`,
    });
    invariant(posted.created, `settlement posting ${eventId} already existed`);
  }
  return { lines: sums.lines, releasedMinor: Number(sums.released) };
}

function settlementPostingLines(
  input: GroupInput,
  sums: { grossCharges: number; pspFees: number; refunds: number; released: number },
): PostingLine[] {
  const clearing = pspClearing(input.psp, input.currency);
  const ourBank = bank(input.currency);
  const lines: PostingLine[] = [];
  const paidIn = sums.grossCharges - sums.pspFees;
  invariant(paidIn >= 0, 'the PSP fee cannot exceed the gross it settles');
  if (paidIn > 0) lines.push(...transfer(ourBank, clearing, paidIn));
  if (sums.pspFees > 0) lines.push(...transfer(pspCost(input.psp, input.currency), clearing, sums.pspFees));
  // The PSP took the refunds it paid out of this settlement: clearing is debited back, the bank less.
  if (sums.refunds > 0) lines.push(...transfer(clearing, ourBank, sums.refunds));
  if (sums.released > 0)
    lines.push(...transfer(merchantPending(input.merchantId, input.currency), merchantAvailable(input.merchantId, input.currency), sums.released));
  return lines;
}
