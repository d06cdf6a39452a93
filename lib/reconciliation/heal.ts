import { and, eq, isNull, sql } from 'drizzle-orm';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { paymentAttempts, reconLines } from '@/db/schema';
import { env } from '@/lib/env';
import { bank } from '@/lib/ledger/accounts';
import { post } from '@/lib/ledger/post';
import { transfer } from '@/lib/ledger/posting-rules';
import { acceptsLateSuccesses } from '@/lib/merchants/settings';
import { formatMoney, parseCurrency } from '@/lib/money';
import { lockPaymentIntent } from '@/lib/payments/intents';
import { markReversalOwed, reverseOwedAttempt } from '@/lib/payments/late-success';
import { acceptLateSuccess, askPspAboutLateCharge, lateSuccessRefusal, type LateChargeEvidence } from '@/lib/payments/late-success-accept';
import type { PspPayment } from '@/lib/psp/types';
import { pspCost } from './accounts';
import { settleDueLines, type SettleResult } from './settle';

/**
 * Healing: what reconciliation corrects on its own, each action once, with the report line as
 * evidence (a new ledger entry or a payment timeline event; nothing is edited). What it cannot
 * heal becomes an exception for a person (raiseExceptions).
 */

/** Heal actions that count as "healed" in a run's summary (settling a matched line is not a repair). */
export const HEAL_ACTIONS = [
  'fee_adjusted',
  'reversal_owed',
  'reversed_at_psp',
  'already_reversed',
  'late_cleared',
  // missing_here booked as the payment (the merchant accepts late successes), now or by an earlier line
  'late_success_accepted',
  'already_accepted',
] as const;
type HealAction = (typeof HEAL_ACTIONS)[number];

type LineRow = {
  line_id: string;
  line_no: number;
  psp_reference: string | null;
  merchant_id: string;
  payment_intent_id: string;
  attempt_id: string;
  currency: string;
  gross_minor: string;
  fee_minor: string;
  expected_fee: string;
  booked_at: Date;
};

async function linesToHeal(runId: string, where: ReturnType<typeof sql>): Promise<LineRow[]> {
  return getDb().execute<LineRow>(sql`
    select line_id, line_no, psp_reference, merchant_id, payment_intent_id, attempt_id, currency, gross_minor::text, fee_minor::text,
           coalesce(ours->>'expected_fee', '0') as expected_fee, booked_at
      from recon_lines where run_id = ${runId} and heal_action is null and ${where}
     order by line_no`);
}

/**
 * Records a line's heal action once: only a line not healed yet (a concurrent pass of the same
 * run may have healed it first), or, with `after`, one that is at that earlier step.
 */
async function markHealed(db: DbOrTx, runId: string, lineNo: number, action: HealAction, after?: HealAction): Promise<boolean> {
  const rows = await db
    .update(reconLines)
    .set({ healAction: action, healedAt: new Date() })
    .where(and(eq(reconLines.runId, runId), eq(reconLines.lineNo, lineNo), after ? eq(reconLines.healAction, after) : isNull(reconLines.healAction)))
    .returning({ lineNo: reconLines.lineNo });
  return rows.length > 0;
}

/**
 * fee_mismatch: settlement books the fee the PSP's contract says; the difference the PSP actually
 * kept is a correction between our bank (what it really paid in) and PSP costs, so the ledger
 * equals the PSP's numbers. The merchant's pricing does not change. Once per PSP line (event id).
 */
async function adjustFees(runId: string, psp: string): Promise<number> {
  let healed = 0;
  for (const line of await linesToHeal(runId, sql`outcome = 'fee_mismatch'`)) {
    await postFeeAdjustment(getDb(), psp, line);
    await markHealed(getDb(), runId, line.line_no, 'fee_adjusted');
    healed += 1;
  }
  return healed;
}

/** The correction of one line's PSP fee to what the PSP kept; once per PSP line (its event id). */
async function postFeeAdjustment(db: DbOrTx, psp: string, line: LineRow): Promise<void> {
  const currency = parseCurrency(line.currency);
  const diff = Number(line.fee_minor) - Number(line.expected_fee);
  if (diff === 0) return;
  const cost = pspCost(psp, currency);
  await post(db, {
    kind: 'recon_fee_adjustment',
    eventId: `recon-fee:${psp}:${line.line_id}`,
    merchantId: line.merchant_id,
    currency,
    lines: diff > 0 ? transfer(cost, bank(currency), diff) : transfer(bank(currency), cost, -diff),
    description: `${psp} line ${line.line_id} (${line.psp_reference}): fee ${formatMoney(Number(line.fee_minor), currency)}, contract ${formatMoney(Number(line.expected_fee), currency)}`,
  });
}

/**
 * missing_here on an attempt we show as failed: the PSP took the customer's money for a payment
 * we did not book. Exactly one of two things happens, decided under the intent's row lock while
 * the attempt is still failed (each way moves it out of failed, so a re-run, a concurrent run, the
 * reversal sweep or a late card callback finds it decided and changes nothing):
 * - the merchant accepts late successes and the order is still open (lateSuccessRefusal): the
 *   charge is booked as the payment (acceptLateSuccess: payment_intent.succeeded, whose consumer
 *   posts the capture; settlement then follows this line), plus the PSP fee correction if its fee
 *   differs from the contract;
 * - otherwise it is given back at the PSP (void or refund through the adapter, with the attempt's
 *   reversal key: applied once) and recorded on the payment's timeline
 *   (payment_intent.late_success_reversed). The attempt becomes reversal_pending first, so the
 *   sweep (reverse-late-successes) finishes it if the PSP is unreachable now.
 */
async function healChargesWeFailed(runId: string, psp: string, now: Date): Promise<number> {
  let healed = 0;
  const lines = await linesToHeal(runId, sql`outcome = 'missing_here' and type = 'charge' and attempt_id is not null`);
  for (const line of lines) {
    const pspAnswer = await pspAnswerIfAcceptable(line);
    const decided = await getDb().transaction((tx) => decideLateCharge(tx, runId, psp, line, pspAnswer, now));
    if (decided === 'none') continue;
    if (decided === 'already_reversed' || decided === 'already_accepted') {
      await markHealed(getDb(), runId, line.line_no, decided);
      continue;
    }
    healed += 1;
    if (decided === 'owed' && (await reverseOwedAttempt(line.attempt_id)) === 'reversed')
      await markHealed(getDb(), runId, line.line_no, 'reversed_at_psp', 'reversal_owed');
  }
  return healed;
}

/** The PSP's answer about the charge, asked (a read, outside any lock) only when the policy may book it. */
async function pspAnswerIfAcceptable(line: LineRow): Promise<PspPayment | null | undefined> {
  const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, line.attempt_id));
  const reference = attempt?.pspReference ?? line.psp_reference;
  if (!attempt || attempt.status !== 'failed' || !reference || !(await acceptsLateSuccesses(getDb(), line.merchant_id))) return undefined;
  return askPspAboutLateCharge(attempt, reference);
}

type LateChargeDecision = 'accepted' | 'owed' | 'already_reversed' | 'already_accepted' | 'none';

async function decideLateCharge(
  tx: Tx,
  runId: string,
  psp: string,
  line: LineRow,
  pspAnswer: PspPayment | null | undefined,
  now: Date,
): Promise<LateChargeDecision> {
  const pi = await lockPaymentIntent(tx, line.merchant_id, line.payment_intent_id);
  const [attempt] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, line.attempt_id));
  if (!attempt) return 'none';
  if (attempt.status === 'reversal_pending' || attempt.status === 'reversed') return 'already_reversed';
  // Only a booked late charge leaves failed for succeeded: an earlier line or run decided it.
  if (attempt.status === 'succeeded') return 'already_accepted';
  // The attempt's own PSP reference when it has one (an M-Pesa line names the receipt, but the
  // adapter gives money back by the payment's request id); else the line's (a lost response).
  const reference = attempt.pspReference ?? line.psp_reference;
  if (attempt.status !== 'failed' || !reference) return 'none';
  const evidence: LateChargeEvidence = {
    psp,
    runId,
    lineId: line.line_id,
    pspReference: line.psp_reference,
    grossMinor: Number(line.gross_minor),
    currency: line.currency,
    bookedAt: new Date(line.booked_at),
  };
  const refusal = await lateSuccessRefusal(tx, pi, attempt, evidence, pspAnswer, now);
  if (refusal === null && pspAnswer) {
    await acceptLateSuccess(tx, pi, attempt, pspAnswer, evidence, env().APP_URL);
    await postFeeAdjustment(tx, psp, line);
    await markHealed(tx, runId, line.line_no, 'late_success_accepted');
    return 'accepted';
  }
  const amount = formatMoney(Number(line.gross_minor), parseCurrency(line.currency));
  const policy = pspAnswer === undefined ? '' : ` It is not booked as the payment: ${refusal}.`;
  const reason = `Reconciliation: ${psp}'s settlement line ${line.line_id} shows ${amount} charged for this failed attempt; it is given back.${policy}`;
  await markReversalOwed(tx, attempt, reference, reason);
  await markHealed(tx, runId, line.line_no, 'reversal_owed');
  return 'owed';
}

/** A late line clears the missing_at_psp exception its absence raised on an earlier day. */
async function clearLateLines(runId: string, psp: string): Promise<number> {
  const rows = await getDb().execute<{ line_no: number }>(sql`
    with late as (
      select line_no, line_id, coalesce(attempt_id, refund_id) as subject from recon_lines
       where run_id = ${runId} and outcome = 'late' and heal_action is null
    ),
    cleared as (
      update recon_exceptions x set status = 'resolved', resolved_by = 'reconciliation', resolved_at = now(),
             note = 'Reported late: ' || late.line_id || ' came in a later settlement file.'
        from late where x.psp = ${psp} and x.kind = 'missing_at_psp' and x.subject = late.subject and x.status = 'open'
      returning late.line_no
    )
    update recon_lines l set heal_action = 'late_cleared', healed_at = now()
      from cleared where l.run_id = ${runId} and l.line_no = cleared.line_no
    returning l.line_no`);
  return rows.length;
}

/**
 * Everything not healed becomes one open exception per thing (the PSP line, or our attempt or
 * refund the PSP did not report), with the line and our records side by side. Set-based.
 */
async function raiseExceptions(runId: string): Promise<void> {
  await getDb().execute(sql`
    insert into recon_exceptions (id, psp, run_id, kind, subject, merchant_id, payment_intent_id, amount_minor, currency, evidence)
    select 'rex_' || substr(encode(sha256(convert_to(l.psp || '|' || l.outcome || '|' || s.subject, 'UTF8')), 'hex'), 1, 24),
           l.psp, l.run_id, l.outcome, s.subject, l.merchant_id, l.payment_intent_id, l.gross_minor, l.currency,
           jsonb_build_object(
             'line', case when l.line_no is null then null else jsonb_build_object(
               'line_id', l.line_id, 'type', l.type, 'psp_reference', l.psp_reference, 'merchant_reference', l.merchant_reference,
               'gross', l.gross_minor, 'fee', l.fee_minor, 'net', l.net_minor, 'currency', l.currency, 'booked_at', l.booked_at,
               'available_on', l.available_on, 'payout_batch_id', l.payout_batch_id, 'line_no', l.line_no) end,
             'ours', l.ours, 'attempt', l.attempt_id, 'refund', l.refund_id, 'payment_intent', l.payment_intent_id)
      from recon_lines l
      cross join lateral (select case when l.outcome = 'duplicate_at_psp' then l.line_id || '#' || l.line_no
                                      else coalesce(l.line_id, l.attempt_id, l.refund_id) end as subject) s
     where l.run_id = ${runId} and l.heal_action is null
       and l.outcome in ('amount_mismatch', 'currency_mismatch', 'duplicate_at_psp', 'missing_here', 'missing_at_psp')
    on conflict (psp, kind, subject) do nothing`);
}

export interface HealResult {
  healed: number;
  settled: SettleResult;
}

/** Runs every healing step of a run; each is idempotent, so a re-run repeats only what is unfinished. */
export async function healRun(runId: string, psp: string, now: Date = new Date()): Promise<HealResult> {
  await healChargesWeFailed(runId, psp, now);
  await adjustFees(runId, psp);
  await clearLateLines(runId, psp);
  const settled = await settleDueLines(runId, psp, now);
  await raiseExceptions(runId);
  const [row] = await getDb().execute<{ healed: number }>(sql`
    select count(*)::int as healed from recon_lines
     where run_id = ${runId} and heal_action in (${sql.join(
       HEAL_ACTIONS.map((a) => sql`${a}`),
       sql`, `,
     )})`);
  const healed = row?.healed ?? 0;
  await getDb().execute(sql`update recon_runs set healed = ${healed}, healed_at = now() where id = ${runId}`);
  return { healed, settled };
}
