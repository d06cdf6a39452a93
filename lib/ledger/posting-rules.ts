import type { PostingKind } from '@/db/schema';
import { invariant } from '@/lib/errors';
import type { Currency } from '@/lib/money';
import { bank, feeRevenue, merchantAvailable, merchantPending, pspClearing, refundsInTransit, type AccountRef } from './accounts';

/**
 * Posting rules: pure functions from a business fact to balanced journal lines. `post()` in
 * post.ts writes them. Amounts are integer minor units; a line is a debit when positive and a
 * credit when negative.
 */

export interface PostingLine {
  account: AccountRef;
  amountMinor: number;
}

/**
 * What a capture adds to the ledger's per-payment state. Refunds change refunded_minor
 * themselves, under the lock they already hold on that row (refunds.ts).
 */
export interface PaymentStateDelta {
  paymentIntentId: string;
  psp: string;
  capturedMinor: number;
  feeMinor: number;
}

export interface Posting {
  kind: PostingKind;
  /** The event that caused the posting: (eventId, kind) posts at most once. */
  eventId: string;
  merchantId: string | null;
  currency: Currency;
  lines: PostingLine[];
  paymentIntentId?: string;
  refundId?: string;
  reversesId?: string;
  description?: string;
  paymentDelta?: PaymentStateDelta;
}

/** Dr `debit` / Cr `credit` for the same positive amount. */
export function transfer(debit: AccountRef, credit: AccountRef, amountMinor: number): PostingLine[] {
  invariant(
    Number.isSafeInteger(amountMinor) && amountMinor > 0,
    `transfer amount must be a positive integer, got ${amountMinor}`,
  );
  return [
    { account: debit, amountMinor },
    { account: credit, amountMinor: -amountMinor },
  ];
}

/** Two or more non-zero integer lines that sum to zero in every currency (the DB checks it again). */
export function assertBalanced(lines: readonly PostingLine[]): void {
  invariant(lines.length >= 2, 'a journal transaction needs two or more entries');
  const totals = new Map<string, number>();
  for (const line of lines) {
    invariant(Number.isSafeInteger(line.amountMinor) && line.amountMinor !== 0, 'entry amounts are non-zero safe integers');
    totals.set(line.account.currency, (totals.get(line.account.currency) ?? 0) + line.amountMinor);
  }
  for (const [currency, total] of totals) invariant(total === 0, `entries do not balance in ${currency}: sum ${total}`);
}

export interface CaptureFact {
  merchantId: string;
  currency: Currency;
  psp: string;
  /** The amount captured by this event: the whole authorization or a part of it. */
  amountMinor: number;
  feeMinor: number;
}

/** Gross from the PSP's clearing account into the merchant's pending balance, then our fee out of it. */
export function captureLines(fact: CaptureFact): PostingLine[] {
  invariant(fact.feeMinor >= 0 && fact.feeMinor <= fact.amountMinor, 'fee must be within 0..captured amount');
  const pending = merchantPending(fact.merchantId, fact.currency);
  const gross = transfer(pspClearing(fact.psp, fact.currency), pending, fact.amountMinor);
  if (fact.feeMinor === 0) return gross;
  return [...gross, ...transfer(pending, feeRevenue(fact.currency), fact.feeMinor)];
}

/**
 * Cancelling an authorization moves no money: an authorization is a hold on the cardholder's
 * side that never entered our books, so there is nothing to post and no entries are returned.
 */
export function authorizationCancelLines(): PostingLine[] {
  return [];
}

/** The merchant balance a refund is taken from (see chooseRefundSource in refunds.ts). */
export type RefundSource = 'merchant_available' | 'merchant_pending';

export interface RefundFact {
  merchantId: string;
  currency: Currency;
  amountMinor: number;
  source: RefundSource;
}

function merchantAccount(source: RefundSource, merchantId: string, currency: Currency): AccountRef {
  return source === 'merchant_available' ? merchantAvailable(merchantId, currency) : merchantPending(merchantId, currency);
}

/** The merchant owes the customer the refund until the PSP confirms it. The fee is not returned. */
export function refundLines(fact: RefundFact): PostingLine[] {
  return transfer(
    merchantAccount(fact.source, fact.merchantId, fact.currency),
    refundsInTransit(fact.currency),
    fact.amountMinor,
  );
}

/** The PSP paid the customer back out of what it holds for us. */
export function refundConfirmedLines(fact: { psp: string; currency: Currency; amountMinor: number }): PostingLine[] {
  return transfer(refundsInTransit(fact.currency), pspClearing(fact.psp, fact.currency), fact.amountMinor);
}

/** The PSP could not refund: the money goes back to the balance it was taken from. */
export function refundFailedLines(fact: RefundFact): PostingLine[] {
  return transfer(
    refundsInTransit(fact.currency),
    merchantAccount(fact.source, fact.merchantId, fact.currency),
    fact.amountMinor,
  );
}

export interface SettlementFact {
  merchantId: string;
  currency: Currency;
  psp: string;
  /** Moved from the merchant's pending to available balance. */
  amountMinor: number;
  /** What the PSP paid into our bank for it; defaults to amountMinor (fees are swept separately). */
  pspPayoutMinor?: number;
}

export function settlementLines(fact: SettlementFact): PostingLine[] {
  const payout = fact.pspPayoutMinor ?? fact.amountMinor;
  return [
    ...(payout > 0 ? transfer(bank(fact.currency), pspClearing(fact.psp, fact.currency), payout) : []),
    ...transfer(
      merchantPending(fact.merchantId, fact.currency),
      merchantAvailable(fact.merchantId, fact.currency),
      fact.amountMinor,
    ),
  ];
}

/** A correction: the same lines with opposite signs. */
export function reversalLines(lines: readonly PostingLine[]): PostingLine[] {
  return lines.map((l) => ({ account: l.account, amountMinor: -l.amountMinor }));
}
