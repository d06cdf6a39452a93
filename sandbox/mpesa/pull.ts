import { randomUUID } from 'node:crypto';
import type { SandboxMpesaShortcode, SandboxMpesaTransaction } from '@/db/schema';
import { transactionsBetween } from './books';
import { spacedStamp, wireNumber } from './wire';

/**
 * Pull Transactions: the reconciliation API over the shortcode's last 48 hours. Daraja lists C2B
 * receipts; the sandbox also lists the reversals and B2C payouts of the shortcode (with their own
 * transactiontype), so one query reconciles every movement. Pages of PULL_PAGE_SIZE, by OffSetValue.
 */

export const PULL_WINDOW_MS = 48 * 60 * 60 * 1000;
export const PULL_PAGE_SIZE = 100;

const TYPES: Record<SandboxMpesaTransaction['kind'], string> = {
  stk: 'c2b-pay-bill-debit',
  c2b_paybill: 'c2b-pay-bill-debit',
  c2b_buygoods: 'c2b-buy-goods-debit',
  b2c: 'b2c-business-payment',
  reversal: 'reversal',
};

export type PullQueryError = 'not_registered' | 'window';

export async function pullTransactions(
  shortcode: SandboxMpesaShortcode,
  start: Date,
  end: Date,
  offset: number,
  now = new Date(),
): Promise<{ ok: true; body: unknown } | { ok: false; error: PullQueryError }> {
  if (!shortcode.pullRegisteredAt) return { ok: false, error: 'not_registered' };
  if (end < start || start.getTime() < now.getTime() - PULL_WINDOW_MS) return { ok: false, error: 'window' };
  const rows = await transactionsBetween(shortcode.shortcode, start, end);
  const page = rows.slice(offset, offset + PULL_PAGE_SIZE);
  return {
    ok: true,
    body: {
      ResponseRefID: randomUUID(),
      ResponseCode: '1000',
      ResponseMessage: page.length > 0 ? 'Success' : 'No records found',
      Response: [
        page.map((t) => ({
          transactionId: t.id,
          trxDate: spacedStamp(t.createdAt),
          msisdn: Number(t.msisdn),
          sender: t.kind === 'b2c' || t.kind === 'reversal' ? shortcode.shortcode : t.msisdn,
          transactiontype: TYPES[t.kind],
          billreference: t.billReference,
          amount: wireNumber(t.paidInCents > 0n ? t.paidInCents : t.withdrawnCents),
          organizationname: shortcode.organizationName,
          ...(t.originalTransactionId ? { originalTransactionId: t.originalTransactionId } : {}),
        })),
      ],
    },
  };
}
