import type { DbOrTx } from '@/db/client';
import { assertValidAmount, type Currency } from '@/lib/money';
import { post, type PostResult } from './post';
import { settlementLines } from './posting-rules';

export interface SettleInput {
  eventId: string;
  merchantId: string;
  currency: Currency;
  /** Moved from the merchant's pending balance to available. */
  amountMinor: number;
  /** The PSP whose payout this is; the sandbox card network unless told otherwise. */
  psp?: string;
  /** What the PSP paid into our bank (Dr bank / Cr clearing); defaults to amountMinor. */
  pspPayoutMinor?: number;
}

/**
 * Books a PSP payout: Dr bank / Cr PSP clearing, and merchant pending -> available. Refused with
 * insufficient_balance if pending cannot cover it. Idempotent per event id (unique posting key).
 */
export async function settle(db: DbOrTx, input: SettleInput): Promise<PostResult> {
  assertValidAmount(input.amountMinor, input.currency);
  return post(db, {
    kind: 'settlement',
    eventId: input.eventId,
    merchantId: input.merchantId,
    currency: input.currency,
    lines: settlementLines({ ...input, psp: input.psp ?? 'sandbox_card' }),
  });
}
