import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { refunds } from '@/db/schema';
import { applyPaybillReturnResult } from '@/lib/checkout/paybill';
import { AppError } from '@/lib/errors';
import { darajaCallbackToken, darajaResultUrls, getDaraja } from '@/lib/psp/daraja';
import { applyDarajaRefundResult } from '@/lib/psp/daraja/refunds';
import { darajaResultEventId, parseDarajaResult } from '@/lib/psp/daraja/results';
import { applyRefundOutcome, recordRefundPspNotice } from '@/lib/refunds';
import { sameToken } from './mpesa';
import type { NotifyInbox } from './receive';
import { storableHeaders, storeInboxMessage, type StoredCallback } from './store';

/**
 * Daraja's Results (ResultURL) and queue timeouts (QueueTimeOutURL) of reversals, B2C payouts and
 * Transaction Status queries. Unsigned like every Daraja callback: the per-install token in the
 * path is compared in constant time, the body must have the Result shape, and it is stored raw in
 * the inbox before anything else. Processing matches it to our request by both of its ids; a
 * request's own Result is only a hint that prompts a Transaction Status query, and the refund
 * moves only on that query's answer.
 */

export const DARAJA_RESULT_INBOX = { result: 'mpesa_result', timeout: 'mpesa_timeout' } as const;

export async function receiveDarajaResult(
  request: { token: string; via: 'result' | 'timeout'; rawBody: string; headers: Headers },
  notify: NotifyInbox,
): Promise<StoredCallback> {
  if (!sameToken(request.token, darajaCallbackToken())) throw new AppError('resource_missing', 'Unknown callback URL.');
  const result = parseDarajaResult(request.rawBody, request.via);
  const bodyHash = createHash('sha256').update(request.rawBody).digest('hex').slice(0, 24);
  const psp = DARAJA_RESULT_INBOX[request.via];
  const stored = await storeInboxMessage({
    psp,
    pspEventId: darajaResultEventId(result, bodyHash),
    headers: storableHeaders(request.headers),
    rawBody: request.rawBody,
  });
  if (!stored.processed) {
    try {
      await notify(stored.inboxId, psp);
    } catch (err) {
      console.warn(
        `[inbox] ${stored.inboxId} stored but the engine was not notified (the inbox sweep will process it):`,
        err instanceof Error ? err.message : err,
      );
    }
  }
  return stored;
}

export type DarajaResultOutcome = 'unknown_request' | 'verifying' | 'unconfirmed' | 'apply' | 'stale';

/**
 * Processes a stored Result. Safe to run twice: the hint is recorded once per request (a repeat
 * asks Transaction Status again, a read), and applyRefundOutcome moves a pending refund once.
 */
export async function processDarajaResult(rawBody: string, via: 'result' | 'timeout'): Promise<{ outcome: DarajaResultOutcome }> {
  const result = parseDarajaResult(rawBody, via);
  const match = await applyDarajaRefundResult({ client: getDaraja, resultUrls: darajaResultUrls }, result);
  if (match.kind === 'unknown') return { outcome: 'unknown_request' };
  const [refund] = await getDb().select().from(refunds).where(eq(refunds.pspIdempotencyKey, match.refundKey));
  if (!refund) {
    // the reversal of a Paybill receipt that paid nothing: no refund object, its c2b row records the outcome
    const verified = match.kind === 'verified' ? match.refund : null;
    if (await applyPaybillReturnResult(match.refundKey, verified))
      return { outcome: match.kind === 'hint' ? 'verifying' : verified ? 'apply' : 'unconfirmed' };
    return { outcome: 'unknown_request' };
  }
  if (match.kind === 'hint') {
    // on the refund's timeline: Daraja's claim, before it is verified
    await recordRefundPspNotice(refund.id, {
      kind: result.queueTimeout ? 'queue_timeout' : 'result',
      result_code: result.resultCode,
      result_desc: result.resultDesc,
      transaction_id: result.transactionId,
    });
    return { outcome: 'verifying' };
  }
  if (!match.refund) return { outcome: 'unconfirmed' };
  if (refund.status !== 'pending') return { outcome: 'stale' };
  await applyRefundOutcome(refund.id, match.refund);
  return { outcome: 'apply' };
}
