import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { payouts, PAYOUT_STATUSES, type Payout } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';

/** GET /v1/payouts: Stripe's list parameters and its status filter. */
export const listPayoutsQuery = z
  .object({ ...pageParams, status: z.enum(PAYOUT_STATUSES).optional() })
  .strict()
  .superRefine(oneCursor);

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

/** Stripe's Payout object; the destination is the sandbox bank account (test data). */
export function serializePayout(p: Payout) {
  return {
    id: p.id,
    object: 'payout' as const,
    amount: p.amountMinor,
    arrival_date: unix(p.arrivalDate),
    automatic: !p.periodKey.startsWith('manual:'),
    balance_transaction: p.journalTransactionId,
    created: unix(p.createdAt),
    currency: p.currency,
    description: p.periodKey.startsWith('manual:') ? 'Manual payout' : 'STRIPE PAYOUT',
    destination: `ba_test_${p.bankAccountLast4 ?? ''}`,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: {},
    method: 'standard' as const,
    reconciliation_status: 'completed' as const,
    source_type: 'card' as const,
    statement_descriptor: null,
    status: p.status,
    type: 'bank_account' as const,
  };
}

/** A merchant's own payout; another merchant's is as missing as one that never existed. */
export async function getMerchantPayout(merchantId: string, id: string): Promise<Payout> {
  const [p] = await getDb()
    .select()
    .from(payouts)
    .where(and(eq(payouts.id, id), eq(payouts.merchantId, merchantId)));
  if (!p) throw new AppError('resource_missing', `No such payout: '${id}'`, { param: 'id' });
  return p;
}

export async function listMerchantPayouts(merchantId: string, query: z.output<typeof listPayoutsQuery>) {
  return keysetPage<Payout>({
    ...byCreation(payouts),
    request: query,
    scope: eq(payouts.merchantId, merchantId),
    filter: query.status ? eq(payouts.status, query.status) : undefined,
    unknownCursor: { error: 'payout' },
  });
}

export async function payoutsListJson(merchantId: string, query: z.output<typeof listPayoutsQuery>) {
  return listObject('/v1/payouts', await listMerchantPayouts(merchantId, query), serializePayout);
}
