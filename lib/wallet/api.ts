import { z } from 'zod';
import { oneCursor, pageParams } from '@/lib/pagination';
import { getMerchantPayout } from '@/lib/payouts/api';
import { getBalances, listBalanceTransactions, type BalanceTransaction } from './balances';

/** GET /api/v1/balance: Stripe's shape, available and pending per currency. */
export async function balanceJson(merchantId: string) {
  const balances = await getBalances(merchantId);
  return {
    object: 'balance' as const,
    available: balances.map((b) => ({ amount: b.availableMinor, currency: b.currency })),
    pending: balances.map((b) => ({ amount: b.pendingMinor, currency: b.currency })),
  };
}

export const listBalanceTransactionsQuery = z
  .object({ ...pageParams, payout: z.string().regex(/^po_[0-9A-Za-z]+$/, 'must be a payout id (po_...)').max(100).optional() })
  .strict()
  .superRefine(oneCursor);

function serializeBalanceTransaction(t: BalanceTransaction) {
  return {
    id: t.id,
    object: 'balance_transaction' as const,
    type: t.type,
    currency: t.currency,
    amount: t.amountMinor,
    fee: t.feeMinor,
    net: t.netMinor,
    pending_change: t.pendingDeltaMinor,
    available_change: t.availableDeltaMinor,
    running_balance: t.balanceAfterMinor,
    source: { event: t.source.eventId, payment_intent: t.source.paymentIntentId, refund: t.source.refundId },
    created: Math.floor(t.created.getTime() / 1000),
  };
}

export async function balanceTransactionsJson(merchantId: string, query: z.output<typeof listBalanceTransactionsQuery>) {
  // an unknown payout (or another merchant's) is a 404, not an empty list
  if (query.payout) await getMerchantPayout(merchantId, query.payout);
  const page = await listBalanceTransactions(merchantId, query);
  return {
    object: 'list' as const,
    url: '/api/v1/balance_transactions',
    has_more: page.hasMore,
    data: page.data.map(serializeBalanceTransaction),
  };
}
