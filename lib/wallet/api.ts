import { z } from 'zod';
import { chargeIdOf } from '@/lib/api-objects/charge-id';
import { oneCursor, pageParams } from '@/lib/pagination';
import { getMerchantPayout } from '@/lib/payouts/api';
import { getBalances, getBalanceTransaction, listBalanceTransactions, type BalanceTransaction } from './balances';

/** GET /api/v1/balance: Stripe's shape, available and pending per currency. */
export async function balanceJson(merchantId: string) {
  const balances = await getBalances(merchantId);
  return {
    object: 'balance' as const,
    livemode: false,
    available: balances.map((b) => ({ amount: b.availableMinor, currency: b.currency })),
    pending: balances.map((b) => ({ amount: b.pendingMinor, currency: b.currency })),
  };
}

export const listBalanceTransactionsQuery = z
  .object({ ...pageParams, payout: z.string().regex(/^po_[0-9A-Za-z]+$/, 'must be a payout id (po_...)').max(100).optional() })
  .strict()
  .superRefine(oneCursor);

/**
 * Stripe's type and reporting_category for each kind of posting that touches a merchant's balance.
 * A settlement moves money from pending to available (net 0): Stripe has no line for that, so it
 * is an adjustment of amount 0 whose available_change says what became available.
 */
const STRIPE_TYPES: Record<BalanceTransaction['type'], { type: string; reporting_category: string }> = {
  capture: { type: 'charge', reporting_category: 'charge' },
  refund: { type: 'refund', reporting_category: 'refund' },
  refund_failed: { type: 'refund_failure', reporting_category: 'refund_failure' },
  refund_confirmed: { type: 'adjustment', reporting_category: 'other_adjustment' },
  settlement: { type: 'adjustment', reporting_category: 'other_adjustment' },
  reversal: { type: 'payment_failure_refund', reporting_category: 'payment_failure_refund' },
  payout: { type: 'payout', reporting_category: 'payout' },
  // the transfer's arrival moves nothing of the merchant's (clearing -> bank): the payout's own line says it all
  payout_paid: { type: 'payout', reporting_category: 'payout' },
  // reconciliation: matched lines settled (pending -> available), a PSP fee different from our schedule, a written-off exception
  recon_settlement: { type: 'adjustment', reporting_category: 'other_adjustment' },
  recon_fee_adjustment: { type: 'adjustment', reporting_category: 'fee' },
  recon_write_off: { type: 'adjustment', reporting_category: 'other_adjustment' },
};

const DESCRIPTIONS: Record<BalanceTransaction['type'], string> = {
  capture: 'Payment captured',
  refund: 'Refund',
  refund_failed: 'Refund failed: amount returned to the balance',
  refund_confirmed: 'Refund confirmed by the PSP',
  settlement: 'Settled by the PSP: pending funds became available',
  reversal: 'Late payment given back to the customer',
  payout: 'Payout to the bank account',
  payout_paid: 'Payout arrived at the bank account',
  recon_settlement: 'Settled by the PSP (matched in its settlement report): pending funds became available',
  recon_fee_adjustment: "Fee corrected to the PSP's settlement report",
  recon_write_off: 'Written off by an operator (reconciliation exception)',
};

/**
 * Stripe's balance_transaction. `source` is the object that caused the line (the refund; for a
 * capture, its charge, as Stripe says; else the payment intent); `status`/`available_on` say whether the line's money is available: a line
 * that credits pending funds is pending and its date is not known until the PSP settles (null).
 */
function serializeBalanceTransaction(t: BalanceTransaction) {
  const created = Math.floor(t.created.getTime() / 1000);
  const pending = t.pendingDeltaMinor > 0;
  return {
    id: t.id,
    object: 'balance_transaction' as const,
    amount: t.amountMinor,
    available_on: pending ? null : created,
    created,
    currency: t.currency,
    description: DESCRIPTIONS[t.type],
    exchange_rate: null,
    fee: t.feeMinor,
    fee_details: t.feeMinor === 0 ? [] : [{ amount: t.feeMinor, application: null, currency: t.currency, description: 'paykit fee', type: 'stripe_fee' }],
    net: t.netMinor,
    reporting_category: STRIPE_TYPES[t.type].reporting_category,
    source: t.source.refundId ?? (t.source.chargeAttemptId ? chargeIdOf(t.source.chargeAttemptId) : t.source.paymentIntentId),
    status: pending ? ('pending' as const) : ('available' as const),
    type: STRIPE_TYPES[t.type].type,
    // paykit's own detail of the line, beside Stripe's fields
    pending_change: t.pendingDeltaMinor,
    available_change: t.availableDeltaMinor,
    running_balance: t.balanceAfterMinor,
    paykit_kind: t.type,
    paykit_source: { event: t.source.eventId, payment_intent: t.source.paymentIntentId, refund: t.source.refundId },
  };
}

export async function balanceTransactionJson(merchantId: string, id: string) {
  return serializeBalanceTransaction(await getBalanceTransaction(merchantId, id));
}

export async function balanceTransactionsJson(merchantId: string, query: z.output<typeof listBalanceTransactionsQuery>) {
  // an unknown payout (or another merchant's) is a 404, not an empty list
  if (query.payout) await getMerchantPayout(merchantId, query.payout);
  const page = await listBalanceTransactions(merchantId, query);
  return {
    object: 'list' as const,
    url: '/v1/balance_transactions',
    has_more: page.hasMore,
    data: page.data.map(serializeBalanceTransaction),
  };
}
