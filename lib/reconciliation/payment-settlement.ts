import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';

/**
 * A payment's settlement as the merchant sees it: every PSP report line reconciliation matched to
 * it (newest run of each report day), what settled and when, what was healed, and open exceptions.
 */

export type SettlementStatus = 'not_reported' | 'awaiting_funds' | 'settled' | 'needs_review' | 'given_back';

export interface PaymentSettlementLine {
  reportDate: string;
  psp: string;
  lineId: string | null;
  type: string;
  outcome: string;
  grossMinor: number;
  pspFeeMinor: number;
  currency: string;
  availableOn: Date | null;
  healAction: string | null;
  /** Moved pending -> available for this line, when it settled. */
  releasedMinor: number | null;
  settledAt: Date | null;
}

export interface PaymentSettlement {
  status: SettlementStatus;
  lines: PaymentSettlementLine[];
  openExceptions: { id: string; kind: string; amountMinor: number; currency: string }[];
}

export async function getPaymentSettlement(merchantId: string, paymentIntentId: string): Promise<PaymentSettlement> {
  const db = getDb();
  const lines = await db.execute<{
    report_date: string;
    psp: string;
    line_id: string | null;
    type: string;
    outcome: string;
    gross_minor: string;
    fee_minor: string;
    currency: string;
    available_on: Date | null;
    heal_action: string | null;
    released_minor: string | null;
    settled_at: Date | null;
  }>(sql`
    select distinct on (r.report_date, coalesce(l.line_id, l.attempt_id, l.refund_id))
           r.report_date::text, l.psp, l.line_id, l.type, l.outcome, l.gross_minor::text, l.fee_minor::text, l.currency, l.available_on,
           l.heal_action, i.released_minor::text, i.created_at as settled_at
      from recon_lines l
      join recon_runs r on r.id = l.run_id
      left join settlement_items i on i.psp = l.psp and i.line_id = l.line_id
     where l.payment_intent_id = ${paymentIntentId} and l.merchant_id = ${merchantId}
     order by r.report_date, coalesce(l.line_id, l.attempt_id, l.refund_id), r.created_at desc`);
  const exceptions = await db.execute<{ id: string; kind: string; amount_minor: string; currency: string }>(sql`
    select id, kind, amount_minor::text, currency from recon_exceptions
     where payment_intent_id = ${paymentIntentId} and merchant_id = ${merchantId} and status = 'open' order by created_at`);
  const mapped: PaymentSettlementLine[] = lines.map((l) => ({
    reportDate: l.report_date,
    psp: l.psp,
    lineId: l.line_id,
    type: l.type,
    outcome: l.outcome,
    grossMinor: Number(l.gross_minor),
    pspFeeMinor: Number(l.fee_minor),
    currency: l.currency,
    availableOn: l.available_on,
    healAction: l.heal_action,
    releasedMinor: l.released_minor === null ? null : Number(l.released_minor),
    settledAt: l.settled_at,
  }));
  const openExceptions = exceptions.map((x) => ({ id: x.id, kind: x.kind, amountMinor: Number(x.amount_minor), currency: x.currency }));
  const charges = mapped.filter((l) => l.type === 'charge' && l.lineId !== null);
  const givenBack = charges.length > 0 && charges.every((l) => ['reversal_owed', 'reversed_at_psp', 'already_reversed'].includes(l.healAction ?? ''));
  const status: SettlementStatus =
    openExceptions.length > 0
      ? 'needs_review'
      : charges.length === 0
        ? 'not_reported'
        : givenBack
          ? 'given_back'
          : charges.some((l) => l.settledAt)
            ? 'settled'
            : 'awaiting_funds';
  return { status, lines: mapped, openExceptions };
}
