import { env } from '@/lib/env';
import { C2B_ACCEPTED, C2B_REJECTIONS, type C2bBody, type C2bValidationAnswer } from './paybill';
import type { PullTransaction } from './org-client';

/**
 * Pay with Till (Buy Goods) on Daraja's side. A till sits under a store (or head office) number:
 * the customer types the till number in the phone's menu (Lipa na M-PESA > Buy Goods and
 * Services), while Daraja's APIs (URL registration, Pull Transactions, STK push's
 * BusinessShortCode) address the store, DARAJA_SHORTCODE here. Buy Goods payments carry no account
 * number (BillRefNumber is empty): what ties one to a checkout session is the payer's MSISDN and the
 * exact amount (lib/checkout/till.ts).
 */

/** The configured till, or null when the install has none (the pay page does not offer it). */
export function tillNumber(): string | null {
  return env().DARAJA_TILL_NUMBER ?? null;
}

/**
 * A C2B request for a till: Daraja names it "Buy Goods" (or CustomerBuyGoodsOnline), and a Buy
 * Goods payment has no account number. A body without a TransactionType counts as a till
 * payment only when it has no account number either.
 */
export function isTillC2b(body: C2bBody): boolean {
  if (body.TransactionType) return /buy\s*goods/i.test(body.TransactionType);
  return body.BillRefNumber.trim() === '';
}

/**
 * The shortcode of a till payment is the till's store (as Safaricom sends it) or the till itself
 * (some integrations see the till number there): either is ours, anything else is not.
 */
export function isOurTillShortcode(businessShortCode: string): boolean {
  const till = tillNumber();
  return till !== null && (businessShortCode === env().DARAJA_SHORTCODE || businessShortCode === till);
}

/** A Buy Goods receipt in Pull Transactions: paid from a phone's menu, so no account reference. */
export const isTillReceipt = (m: PullTransaction) => m.transactionType === 'c2b-buy-goods-debit' && m.billReference.trim() === '';

/** What the open till sessions expecting a payment say about one, for Daraja's validation answer. */
export type TillMatch =
  | { kind: 'one'; payable: boolean }
  | { kind: 'none_for_phone' }
  | { kind: 'other_amount' }
  | { kind: 'ambiguous' }
  | { kind: 'bad_msisdn' };

/**
 * Daraja's documented C2B result codes for a till payment: our till only; an MSISDN no session
 * expects is C2B00011 (Invalid MSISDN), an amount no session of that phone expects is C2B00013
 * (Invalid Amount); two sessions expecting the same phone and amount cannot be told apart, and a
 * session that can no longer be paid takes nothing: both C2B00016 (Other Error).
 */
export function tillValidationAnswer(body: C2bBody, match: TillMatch): C2bValidationAnswer {
  if (!isOurTillShortcode(body.BusinessShortCode)) return C2B_REJECTIONS.invalidShortcode;
  switch (match.kind) {
    case 'bad_msisdn':
    case 'none_for_phone':
      return C2B_REJECTIONS.invalidMsisdn;
    case 'other_amount':
      return C2B_REJECTIONS.invalidAmount;
    case 'ambiguous':
      return C2B_REJECTIONS.other;
    case 'one':
      return match.payable ? C2B_ACCEPTED : C2B_REJECTIONS.other;
  }
}
