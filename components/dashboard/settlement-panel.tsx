import { DataTable } from '@/components/dashboard/ui/data-table';
import { formatMoney, isCurrency } from '@/lib/money';
import type { PaymentSettlement, SettlementStatus } from '@/lib/reconciliation';

const STATUS_TEXT: Record<SettlementStatus, string> = {
  not_reported: 'Not in a PSP settlement report yet. The money stays in your pending balance until the PSP settles it.',
  awaiting_funds: 'Reported by the PSP and matched; it moves to your available balance on the PSP’s available date.',
  settled: 'Settled: the PSP paid it out and it moved to your available balance.',
  given_back: 'The PSP charged the customer for this payment after it failed; reconciliation gave the money back to the customer.',
  needs_review: 'The PSP’s report disagrees with our records; our operators are reviewing it. Nothing settles until then.',
};

const HEAL_TEXT: Record<string, string> = {
  fee_adjusted: 'PSP fee differed from its contract: corrected in the platform’s books (your fee is unchanged)',
  reversal_owed: 'The PSP charged the customer for a failed payment: being given back',
  reversed_at_psp: 'The PSP charged the customer for a failed payment: given back to the customer',
  already_reversed: 'Already given back to the customer',
  late_cleared: 'Reported a day late by the PSP: matched',
  late_success_accepted: 'The PSP charged the customer after the payment had failed: booked as the payment (you accept late successes)',
  already_accepted: 'Already booked as the payment',
};

const money = (minor: number, currency: string) => (isCurrency(currency) ? formatMoney(minor, currency) : `${minor} ${currency}`);

/** A payment's settlement status and any healing reconciliation did to it (data from lib/reconciliation). */
export function SettlementPanel({ settlement }: { settlement: PaymentSettlement }) {
  return (
    <>
      <p data-testid="settlement-status" data-status={settlement.status}>
        {STATUS_TEXT[settlement.status]}
      </p>
      {settlement.lines.length > 0 ? (
        <DataTable
          caption="Settlement report lines for this payment"
          testId="settlement-lines"
          rows={settlement.lines}
          rowKey={(l) => `${l.reportDate}:${l.lineId ?? l.type}`}
          rowProps={(l) => ({ 'data-testid': 'settlement-line', 'data-outcome': l.outcome })}
          columns={[
            { header: 'Report day', cell: (l) => l.reportDate },
            { header: 'Type', cell: (l) => l.type },
            { header: 'Gross', kind: 'amount', cell: (l) => money(l.grossMinor, l.currency) },
            { header: 'Outcome', cell: (l) => l.outcome.replace(/_/g, ' ') },
            { header: 'Healing', kind: 'wrap', cell: (l) => (l.healAction ? (HEAL_TEXT[l.healAction] ?? l.healAction) : '—') },
            { header: 'Settled', cell: (l) => (l.settledAt ? `${l.settledAt.toISOString().slice(0, 10)} (${money(l.releasedMinor ?? 0, l.currency)} to available)` : '—') },
          ]}
        />
      ) : null}
    </>
  );
}
