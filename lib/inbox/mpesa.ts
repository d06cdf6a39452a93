import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@/lib/errors';
import { isOpenAttempt } from '@/lib/payments/apply-psp-result';
import { resolveAttempt } from '@/lib/payments/confirm';
import { darajaCallbackToken, MPESA_PSP } from '@/lib/psp/daraja';
import { parseStkCallback } from '@/lib/psp/daraja/callback';
import { findMpesaByCheckoutRequestId } from '@/lib/psp/daraja/store';
import type { NotifyInbox } from './receive';
import { storableHeaders, storeInboxMessage, type StoredCallback } from './store';

/**
 * Daraja's STK callbacks are unsigned, so nothing in them is trusted on its own: the secret
 * path token is compared in constant time, the body must have Daraja's shape, the
 * CheckoutRequestID, MerchantRequestID, amount and phone must match our attempt, and even
 * then the callback only prompts an STK query, whose answer is what gets applied.
 */

export { parseStkCallback, stkCallbackSchema, type ParsedStkCallback } from '@/lib/psp/daraja/callback';

export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The callback route's work: check the path token, check the body's shape, store it once,
 * then ask for it to be processed. Safe to run twice (a duplicated callback): the event id is
 * derived from the exact body, so a byte-identical redelivery is the same inbox row, while a
 * forged body for the same request cannot shadow the real one.
 */
export async function receiveMpesaCallback(
  request: { token: string; rawBody: string; headers: Headers },
  notify: NotifyInbox,
): Promise<StoredCallback> {
  if (!sameToken(request.token, darajaCallbackToken())) throw new AppError('resource_missing', 'Unknown callback URL.');
  const callback = parseStkCallback(request.rawBody);
  const bodyHash = createHash('sha256').update(request.rawBody).digest('hex').slice(0, 24);
  const stored = await storeInboxMessage({
    psp: MPESA_PSP,
    pspEventId: `${callback.checkoutRequestId}:${callback.resultCode}:${bodyHash}`,
    headers: storableHeaders(request.headers),
    rawBody: request.rawBody,
  });
  if (!stored.processed) {
    try {
      await notify(stored.inboxId, MPESA_PSP);
    } catch (err) {
      console.warn(
        `[inbox] ${stored.inboxId} stored but the engine was not notified (the inbox sweep will process it):`,
        err instanceof Error ? err.message : err,
      );
    }
  }
  return stored;
}

export type MpesaCallbackOutcome = 'apply' | 'stale' | 'unknown_payment' | 'rejected' | 'unconfirmed';

export interface ProcessedMpesaCallback {
  outcome: MpesaCallbackOutcome;
  attempt?: { paymentIntentId: string; attemptId: string; status: import('@/db/schema').AttemptStatus };
}

/**
 * Processes a stored STK callback. Safe to run twice: a callback never changes anything by
 * itself; it prompts an STK query, and applying a final answer is a no-op for a settled attempt.
 */
export async function processMpesaCallback(rawBody: string): Promise<ProcessedMpesaCallback> {
  const callback = parseStkCallback(rawBody);
  const found = await findMpesaByCheckoutRequestId(callback.checkoutRequestId);
  if (!found) return { outcome: 'unknown_payment' };
  const { attempt, mpesa } = found;
  const summary = { paymentIntentId: attempt.paymentIntentId, attemptId: attempt.id, status: attempt.status };
  if (mpesa.merchantRequestId !== callback.merchantRequestId) {
    console.warn(`[mpesa] callback for ${callback.checkoutRequestId} rejected: MerchantRequestID does not match`);
    return { outcome: 'rejected' };
  }
  if (
    callback.resultCode === 0 &&
    (callback.amount !== mpesa.amountMinor / 100 || (callback.phone !== undefined && callback.phone !== mpesa.phone))
  ) {
    console.warn(`[mpesa] callback for ${callback.checkoutRequestId} rejected: amount or phone does not match the attempt`);
    return { outcome: 'rejected' };
  }
  if (!isOpenAttempt(attempt)) return { outcome: 'stale', attempt: summary };
  const outcome = await resolveAttempt(attempt.id, callback.receiptNumber ? { receiptNumber: callback.receiptNumber } : undefined);
  const after = { ...summary, status: outcome.attempt.status };
  if (outcome.attempt.status === 'pending') return { outcome: 'unconfirmed', attempt: after };
  return { outcome: 'apply', attempt: after };
}
