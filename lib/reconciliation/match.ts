import { sql } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import type { ReconOutcome } from '@/db/schema';
import type { PspFeeSchedule } from '@/lib/psp/types';

/**
 * Three-way matching, set-based: one INSERT ... SELECT joins the staged report lines to attempts
 * and refunds (by the PSP's reference, then by our idempotency key echoed as the merchant
 * reference, then by amount, currency and a date window when exactly one attempt fits) and to the
 * ledger's per-payment state, and gives every line exactly one outcome. A second statement adds
 * our records of the day the PSP did not report (missing_at_psp). No line is looked at in JS.
 */

export interface MatchInput {
  runId: string;
  psp: string;
  /** YYYY-MM-DD (UTC). */
  date: string;
  fees: PspFeeSchedule;
  /** false: the day's report is not final, so nothing of ours can be missing from it yet. */
  reportComplete: boolean;
  /**
   * Mobile money (M-Pesa): a line names the M-Pesa receipt and the payer's phone, not the PSP's
   * id of our request, so charges are also matched by receipt (and phone), then by phone, amount
   * and time when we never learned the receipt; a reversal of a late success by its receipt.
   */
  matchByReceipt?: boolean;
}

/**
 * The receipt joins, only in a mobile-money run (a card file has no receipts; the joins would
 * only cost). The phone must agree with the receipt's payment: a receipt on another phone is not ours.
 */
function receiptJoins(input: MatchInput) {
  if (!input.matchByReceipt) return { joins: sql``, attempt: sql`null::text`, byPhone: sql`null::text`, reversal: sql`null::text` };
  return {
    joins: sql`
        left join mpesa_payments mp on s.type = 'charge' and a1.id is null and a2.id is null
                                    and mp.receipt_number = s.psp_reference and mp.phone = s.phone
        -- a receipt we never learned (the callback was lost): exactly one attempt from that phone, of that amount, near the booking;
        -- never a Paybill receipt we hold (it has its own record, and is given back from there)
        left join lateral (
          select min(a.id) as id from mpesa_payments m join payment_attempts a on a.id = m.attempt_id
           where s.type = 'charge' and a1.id is null and a2.id is null and mp.attempt_id is null and m.receipt_number is null
             and not exists (select 1 from mpesa_c2b_payments c where c.trans_id = s.psp_reference)
             and m.phone = s.phone and a.psp = ${input.psp} and a.amount = s.gross_minor and a.currency = s.currency
             and a.created_at between s.booked_at - ${FALLBACK_WINDOW}::interval and s.booked_at + interval '1 hour'
          having count(*) = 1
        ) fp on true
        left join mpesa_refunds mr on s.type = 'refund' and mr.receipt_number = s.psp_reference and mr.refund_key like 'pa\_%:reverse'`,
    attempt: sql`coalesce(mp.attempt_id, fp.id)`,
    byPhone: sql`case when mp.attempt_id is not null then 'receipt_phone' when fp.id is not null then 'phone_amount_date' end`,
    reversal: sql`mr.attempt_id`,
  };
}

/** How far from the line's booking time an attempt may have started, for the amount fallback. */
const FALLBACK_WINDOW = '1 day';

export async function classifyLines(tx: Tx, input: MatchInput): Promise<void> {
  const dayStart = new Date(`${input.date}T00:00:00Z`);
  const receipt = receiptJoins(input);
  // The statement sorts the file once (duplicates) and hashes it and the attempts: at the default
  // 4 MB each spills to temp files in many batches (EXPLAIN: ~16,000 temp blocks written at 200,000
  // lines). 64 MB per sort or hash (hash nodes may use twice that) keeps a day of lines in a few
  // batches and bounds the backend's memory; SET LOCAL ends with the run's transaction.
  await tx.execute(sql`set local work_mem = '64MB'`);
  await tx.execute(sql`
    with s as (
      select st.*, row_number() over (partition by st.line_id order by st.line_no) as copy_no
        from recon_staging st where st.run_id = ${input.runId}
    ),
    lines as (
      select s.*, coalesce(a1.id, a2.id, f.id, ${receipt.attempt}) as charge_attempt_id,
             case when a1.id is not null then 'psp_reference' when a2.id is not null then 'merchant_reference'
                  when f.id is not null then 'amount_currency_date' else ${receipt.byPhone} end as matched_by,
             coalesce(r1.id, r2.id) as refund_id,
             -- a refund we made to give a late success back (reversalKey: <attempt>:reverse)
             coalesce(case when s.type = 'refund' and s.merchant_reference like 'pa\\_%:reverse' then split_part(s.merchant_reference, ':', 1) end,
                      ${receipt.reversal}) as reversed_attempt_id,
             -- the attempt found by reference or key, carried along: nearly every line matches so, and a
             -- second lookup of it by id would be one more index probe per line (columns are not null,
             -- so d_id is null exactly when neither join found it)
             coalesce(a1.id, a2.id) as d_id, coalesce(a1.status, a2.status) as d_status, coalesce(a1.amount, a2.amount) as d_amount,
             coalesce(a1.currency, a2.currency) as d_currency, coalesce(a1.merchant_id, a2.merchant_id) as d_merchant_id,
             coalesce(a1.payment_intent_id, a2.payment_intent_id) as d_payment_intent_id
        from s
        -- charges: the PSP's reference, else our idempotency key (a lost response leaves no reference)
        left join payment_attempts a1 on s.type = 'charge' and a1.psp = ${input.psp} and a1.psp_reference = s.psp_reference
        left join payment_attempts a2 on s.type = 'charge' and a1.id is null and a2.psp = ${input.psp}
                                      and a2.psp_idempotency_key = s.merchant_reference
        -- the fallback: exactly one attempt without a reference of that amount and currency near the booking
        left join lateral (
          select min(a.id) as id from payment_attempts a
           where s.type = 'charge' and a1.id is null and a2.id is null and a.psp = ${input.psp} and a.psp_reference is null
             -- mobile money has a better fallback: the phone (below); amount alone could pick another payer's attempt
             and ${input.matchByReceipt ? sql`false` : sql`true`}
             and a.amount = s.gross_minor and a.currency = s.currency
             and a.created_at between s.booked_at - ${FALLBACK_WINDOW}::interval and s.booked_at + interval '1 hour'
          having count(*) = 1
        ) f on true
        left join refunds r1 on s.type = 'refund' and r1.psp = ${input.psp} and r1.psp_reference = s.psp_reference
        left join refunds r2 on s.type = 'refund' and r1.id is null and r2.psp = ${input.psp} and r2.psp_idempotency_key = s.merchant_reference
        ${receipt.joins}
    ),
    joined as (
      select l.*, coalesce(l.d_id, a.id) as attempt_id, coalesce(l.d_status, a.status) as attempt_status,
             coalesce(l.d_amount, a.amount) as attempt_amount, coalesce(l.d_currency, a.currency) as attempt_currency,
             coalesce(l.d_merchant_id, a.merchant_id, r.merchant_id) as merchant_id,
             coalesce(l.d_payment_intent_id, a.payment_intent_id, r.payment_intent_id) as payment_intent_id,
             r.status as refund_status, r.amount as refund_amount, r.currency as refund_currency,
             lps.captured_minor as ledger_captured,
             least(l.gross_minor, (greatest(l.gross_minor, 0) * ${input.fees.percentBps} + 5000) / 10000 + ${input.fees.fixedMinor}) as expected_fee,
             exists (select 1 from recon_lines o join recon_runs rr on rr.id = o.run_id
                      where o.psp = ${input.psp} and o.line_id = l.line_id and rr.report_date <> ${input.date}) as reported_before
        from lines l
        -- the attempt of the few lines matched otherwise (the fallbacks, a reversal), looked up only for
        -- them: for the rest the key is null, and an index probe for a null key ends before it reads a page
        left join payment_attempts a on a.id = case when l.d_id is null then coalesce(l.charge_attempt_id, l.reversed_attempt_id) end
        left join refunds r on r.id = l.refund_id
        left join ledger_payment_states lps on lps.payment_intent_id = coalesce(l.d_payment_intent_id, a.payment_intent_id)
    ),
    decided as (
      select j.*,
             case
               when j.copy_no > 1 or j.reported_before then 'duplicate_at_psp'
               when j.type = 'charge' and (j.attempt_id is null or j.attempt_status <> 'succeeded') then 'missing_here'
               when j.type = 'refund' and j.reversed_attempt_id is not null and j.attempt_status not in ('reversed', 'reversal_pending') then 'missing_here'
               when j.type = 'refund' and j.reversed_attempt_id is null and (j.refund_id is null or j.refund_status <> 'succeeded') then 'missing_here'
               when j.type in ('chargeback', 'fee_adjustment') then 'missing_here'
               when j.currency <> coalesce(j.refund_currency, j.attempt_currency) then 'currency_mismatch'
               when j.type = 'charge' and j.gross_minor <> coalesce(j.ledger_captured, 0) then 'amount_mismatch'
               when j.type = 'refund' and j.refund_id is not null and -j.gross_minor <> j.refund_amount then 'amount_mismatch'
               when j.type = 'refund' and j.reversed_attempt_id is not null and -j.gross_minor > j.attempt_amount then 'amount_mismatch'
               when j.type = 'charge' and j.fee_minor <> j.expected_fee then 'fee_mismatch'
               when j.booked_at < ${dayStart.toISOString()}::timestamptz then 'late'
               else 'matched'
             end as outcome
        from joined j
    )
    insert into recon_lines (run_id, psp, line_no, line_id, type, psp_reference, merchant_reference, gross_minor, fee_minor, net_minor,
                             currency, booked_at, available_on, payout_batch_id, outcome, merchant_id, payment_intent_id, attempt_id,
                             refund_id, ours)
    select ${input.runId}, ${input.psp}, d.line_no, d.line_id, d.type, d.psp_reference, d.merchant_reference, d.gross_minor, d.fee_minor,
           d.net_minor, d.currency, d.booked_at, d.available_on, d.payout_batch_id, d.outcome,
           d.merchant_id, d.payment_intent_id, d.attempt_id, d.refund_id,
           -- our side of the evidence, for the lines a person or a healing step reads (a matched
           -- line agrees with us: its fee is the contract's), so a clean day writes no JSON per line
           case when d.outcome <> 'matched' then jsonb_strip_nulls(jsonb_build_object(
             'attempt_status', d.attempt_status, 'attempt_amount', d.attempt_amount, 'attempt_currency', d.attempt_currency,
             'refund_status', d.refund_status, 'refund_amount', d.refund_amount, 'refund_currency', d.refund_currency,
             'ledger_captured', d.ledger_captured, 'expected_fee', case when d.type = 'charge' then d.expected_fee end,
             'reversal_of', d.reversed_attempt_id, 'matched_by', d.matched_by)) end
      from decided d`);
  if (input.reportComplete) await addMissingAtPsp(tx, input, dayStart);
}

/**
 * What we captured or refunded through this PSP on the day that no report line (of any day so
 * far) names: the PSP has not settled it. A line for it in a later file is "late" and clears this.
 */
async function addMissingAtPsp(tx: Tx, input: MatchInput, dayStart: Date): Promise<void> {
  const dayEnd = new Date(dayStart.getTime() + 86_400_000);
  await tx.execute(sql`
    insert into recon_lines (run_id, psp, type, psp_reference, merchant_reference, gross_minor, fee_minor, net_minor, currency,
                             outcome, merchant_id, payment_intent_id, attempt_id, refund_id, ours)
    select ${input.runId}, ${input.psp}, 'charge', a.psp_reference, a.psp_idempotency_key, lps.captured_minor, 0, lps.captured_minor, a.currency,
           'missing_at_psp', a.merchant_id, a.payment_intent_id, a.id, null,
           jsonb_build_object('attempt_status', a.status, 'ledger_captured', lps.captured_minor, 'succeeded_at', a.updated_at)
      from payment_attempts a
      join ledger_payment_states lps on lps.payment_intent_id = a.payment_intent_id and lps.captured_minor > 0
     where a.psp = ${input.psp} and a.status = 'succeeded' and a.updated_at >= ${dayStart.toISOString()}::timestamptz and a.updated_at < ${dayEnd.toISOString()}::timestamptz
       -- through the payment's lines (recon_lines_payment_idx): a line naming the attempt names its payment too
       and not exists (select 1 from recon_lines l where l.payment_intent_id = a.payment_intent_id and l.attempt_id = a.id
                                                     and l.psp = ${input.psp} and l.type = 'charge')
    union all
    select ${input.runId}, ${input.psp}, 'refund', r.psp_reference, r.psp_idempotency_key, -r.amount, 0, -r.amount, r.currency,
           'missing_at_psp', r.merchant_id, r.payment_intent_id, null, r.id,
           jsonb_build_object('refund_status', r.status, 'refund_amount', r.amount, 'succeeded_at', r.updated_at)
      from refunds r
     where r.psp = ${input.psp} and r.status = 'succeeded' and r.updated_at >= ${dayStart.toISOString()}::timestamptz and r.updated_at < ${dayEnd.toISOString()}::timestamptz
       and not exists (select 1 from recon_lines l where l.refund_id = r.id and l.psp = ${input.psp})`);
}

export type OutcomeCounts = Partial<Record<ReconOutcome, number>>;

export async function countOutcomes(tx: Tx, runId: string): Promise<{ reportLines: number; lines: number; counts: OutcomeCounts }> {
  const rows = await tx.execute<{ outcome: ReconOutcome; n: number; from_report: number }>(sql`
    select outcome, count(*)::int as n, count(line_no)::int as from_report from recon_lines where run_id = ${runId} group by outcome`);
  const counts: OutcomeCounts = {};
  let lines = 0;
  let reportLines = 0;
  for (const row of rows) {
    counts[row.outcome] = row.n;
    lines += row.n;
    reportLines += row.from_report;
  }
  return { reportLines, lines, counts };
}
