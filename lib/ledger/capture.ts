import type { DbOrTx } from '@/db/client';
import { invariant } from '@/lib/errors';
import { assertValidAmount, type Currency } from '@/lib/money';
import { computeFeeMinor, getFeeSchedule } from './fees';
import { post, type PostResult } from './post';
import type { Poster } from './batching-poster';
import { authorizationCancelLines, captureLines, type Posting } from './posting-rules';

export interface CaptureInput {
  eventId: string;
  merchantId: string;
  paymentIntentId: string;
  currency: Currency;
  psp: string;
  /** The amount this capture took: all of the authorization, or part of it (partial capture). */
  amountMinor: number;
}

/**
 * Books a capture: gross into the merchant's pending balance, the fee (merchant's schedule, or
 * the default) to fee revenue, and the payment's captured amount. Idempotent per event id
 * (a repeat returns the first posting); one statement, no account lock, so a hot merchant scales.
 * Pass a batching poster (batching-poster.ts) to group-commit captures made outside a transaction.
 */
export async function recordCapture(db: DbOrTx, input: CaptureInput, options: { poster?: Poster } = {}): Promise<PostResult> {
  assertValidAmount(input.amountMinor, input.currency);
  const feeMinor = computeFeeMinor(input.amountMinor, await getFeeSchedule(db, input.merchantId, input.currency));
  const posting: Posting = {
    kind: 'capture',
    eventId: input.eventId,
    merchantId: input.merchantId,
    currency: input.currency,
    paymentIntentId: input.paymentIntentId,
    lines: captureLines({ ...input, feeMinor }),
    paymentDelta: { paymentIntentId: input.paymentIntentId, psp: input.psp, capturedMinor: input.amountMinor, feeMinor },
  };
  return options.poster ? options.poster.post(posting) : post(db, posting);
}

/**
 * An authorization cancel (or expiry) moves no money, so nothing is posted: the hold lived on the
 * cardholder's side and never entered our books. Consumers can call this for symmetry.
 */
export function recordAuthorizationCancel(): null {
  invariant(authorizationCancelLines().length === 0, 'an authorization cancel posts nothing');
  return null;
}
