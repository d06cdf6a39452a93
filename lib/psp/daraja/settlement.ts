import { PspError, type ReportLine, type SettlementFile } from '@/lib/psp/types';
import type { DarajaClient } from './client';
import type { PullTransaction } from './org-client';
import { ensureC2bRegistered, pullMovementPages } from './paybill';

/**
 * M-Pesa's settlement file for one UTC day: the shortcode's movements from Pull Transactions.
 * Money is in the business account the moment M-Pesa books it, so a receipt is its own
 * settlement line (no fee per transaction: Safaricom bills the paybill, not the line). C2B
 * receipts (STK and Paybill) are charges; reversals and B2C payouts are money given back
 * (refunds), matched to our refunds by their receipt. The payer's phone travels with each line,
 * so a payment whose receipt we never learned (its callback was lost) is still found by phone.
 */

const DAY_MS = 86_400_000;
/** Pull Transactions answers for the last 48 hours only; a minute's margin for the clocks. */
const PULL_WINDOW_MS = 48 * 3_600_000 - 60_000;
const NAIROBI_OFFSET = '+03:00';

const CHARGE_TYPES = new Set(['c2b-pay-bill-debit', 'c2b-buy-goods-debit']);
const GIVEN_BACK_TYPES = new Set(['reversal', 'b2c-business-payment']);

/** Pull Transactions' "YYYY-MM-DD HH:mm:ss" is Nairobi time. */
function bookedAt(m: PullTransaction): Date {
  const at = new Date(`${m.trxDate.trim().replace(' ', 'T')}${NAIROBI_OFFSET}`);
  if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/.test(m.trxDate.trim()) || Number.isNaN(at.getTime()))
    throw new PspError('bad_response', `Daraja: Pull Transactions line ${m.transactionId} has no valid trxDate (${m.trxDate})`, true);
  return at;
}

/** One pulled movement as a report line, or null for a movement reconciliation does not book (a top-up of the account). */
export function reportLineOf(m: PullTransaction): ReportLine | null {
  const charge = CHARGE_TYPES.has(m.transactionType);
  if (!charge && !GIVEN_BACK_TYPES.has(m.transactionType)) return null;
  const at = bookedAt(m);
  const gross = charge ? m.amountMinor : -m.amountMinor;
  return {
    lineId: m.transactionId,
    type: charge ? 'charge' : 'refund',
    pspReference: m.transactionId,
    merchantReference: m.billReference || null,
    grossMinor: gross,
    feeMinor: 0,
    netMinor: gross,
    currency: 'kes',
    bookedAt: at,
    availableOn: at,
    payoutBatchId: null,
    phone: m.msisdn || null,
  };
}

export interface DarajaSettlementDeps {
  client: () => DarajaClient;
  /** Our C2B and Pull callback URLs: Pull Transactions answers only a shortcode registered for it. */
  c2bUrls: () => { validationUrl: string; confirmationUrl: string; pullCallbackUrl: string };
}

export async function darajaSettlementFile(deps: DarajaSettlementDeps, date: string, now: Date = new Date()): Promise<SettlementFile> {
  const dayStart = new Date(`${date}T00:00:00Z`);
  const dayEnd = new Date(dayStart.getTime() + DAY_MS);
  if (dayStart.getTime() < now.getTime() - PULL_WINDOW_MS)
    throw new PspError('rejected', `Daraja: Pull Transactions keeps the last 48 hours only; ${date} is no longer available`, false);
  const client = deps.client();
  await ensureC2bRegistered(client, deps.c2bUrls());
  // The query's bounds are whole seconds and inclusive: ask up to the next midnight and keep only
  // what M-Pesa booked before it, so a receipt at the boundary lands in exactly one day.
  const to = dayEnd < now ? dayEnd : now;
  async function* lines(): AsyncGenerator<ReportLine> {
    for await (const page of pullMovementPages(client, dayStart, to)) {
      for (const movement of page) {
        const line = reportLineOf(movement);
        if (line && line.bookedAt >= dayStart && line.bookedAt < dayEnd) yield line;
      }
    }
  }
  return { lines: lines(), complete: now >= dayEnd };
}
