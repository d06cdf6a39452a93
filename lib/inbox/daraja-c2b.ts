import { createHash } from 'node:crypto';
import { applyVerifiedPaybillPayment, validatePaybillPayment, type PaybillApplyOutcome } from '@/lib/checkout/paybill';
import { AppError } from '@/lib/errors';
import {
  centsFromDaraja,
  darajaCallbackToken,
  getDaraja,
  isTillC2b,
  isTillReceipt,
  normalizeAccountNumber,
  parseC2bBody,
  tillNumber,
  verifyC2bByPull,
  type C2bValidationAnswer,
} from '@/lib/psp/daraja';
import { sameToken } from './mpesa';
import type { NotifyInbox } from './receive';
import { markInboxProcessed, storableHeaders, storeInboxMessage, type StoredCallback } from './store';

/**
 * Daraja's C2B requests for Pay with Paybill and Pay with Till: the validation (answered at once: it decides whether
 * M-Pesa takes the money) and the confirmation (a hint: the session is paid only once Pull
 * Transactions shows the receipt). Both are token-checked like every Daraja callback and stored
 * raw in the inbox first.
 */

export const C2B_INBOX = { validation: 'mpesa_c2b_validation', confirmation: 'mpesa_c2b' } as const;

const hashOf = (raw: string) => createHash('sha256').update(raw).digest('hex').slice(0, 24);

function checkToken(token: string): void {
  if (!sameToken(token, darajaCallbackToken())) throw new AppError('resource_missing', 'Unknown callback URL.');
}

export async function answerC2bValidation(request: {
  token: string;
  rawBody: string;
  headers: Headers;
}): Promise<C2bValidationAnswer> {
  checkToken(request.token);
  const body = parseC2bBody(request.rawBody);
  const stored = await storeInboxMessage({
    psp: C2B_INBOX.validation,
    pspEventId: `validation:${body.TransID}:${hashOf(request.rawBody)}`,
    headers: storableHeaders(request.headers),
    rawBody: request.rawBody,
  });
  const answer = await validatePaybillPayment(request.rawBody);
  // nothing to do later: the answer was the whole effect
  await markInboxProcessed(stored.inboxId, answer.ResultCode === '0' ? 'accepted' : `rejected_${answer.ResultCode}`);
  return answer;
}

export async function receiveC2bConfirmation(
  request: { token: string; rawBody: string; headers: Headers },
  notify: NotifyInbox,
): Promise<StoredCallback> {
  checkToken(request.token);
  const body = parseC2bBody(request.rawBody);
  const stored = await storeInboxMessage({
    psp: C2B_INBOX.confirmation,
    pspEventId: `c2b:${body.TransID}:${hashOf(request.rawBody)}`,
    headers: storableHeaders(request.headers),
    rawBody: request.rawBody,
  });
  if (!stored.processed) {
    try {
      await notify(stored.inboxId, C2B_INBOX.confirmation);
    } catch (err) {
      console.warn(
        `[inbox] ${stored.inboxId} stored but the engine was not notified (the inbox sweep will process it):`,
        err instanceof Error ? err.message : err,
      );
    }
  }
  return stored;
}

export type C2bConfirmationOutcome = PaybillApplyOutcome | 'unconfirmed' | 'rejected';

/**
 * A stored confirmation: asks Pull Transactions for the receipt and applies what it shows (its
 * amount and account must be the confirmation's). Safe to run twice: the apply is once per receipt.
 * Unconfirmed: Daraja does not show it (yet); the Pull sweep applies it if it ever appears.
 */
export async function processC2bConfirmation(rawBody: string): Promise<{ outcome: C2bConfirmationOutcome }> {
  const body = parseC2bBody(rawBody);
  const truth = await verifyC2bByPull(getDaraja(), body.TransID);
  if (!truth) return { outcome: 'unconfirmed' };
  // a till (Buy Goods) confirmation must be a Buy Goods receipt in Daraja's record, and a Paybill one a Paybill receipt
  const kind = tillNumber() && isTillC2b(body) ? 'till' : 'paybill';
  if (
    truth.amountMinor !== centsFromDaraja(body.TransAmount) ||
    normalizeAccountNumber(truth.billReference) !== normalizeAccountNumber(body.BillRefNumber) ||
    (kind === 'till') !== isTillReceipt(truth)
  ) {
    console.warn(`[mpesa] C2B confirmation ${body.TransID} does not match Daraja's record; ignored`);
    return { outcome: 'rejected' };
  }
  return {
    outcome: await applyVerifiedPaybillPayment(
      {
        kind,
        transId: truth.transactionId,
        accountNumber: truth.billReference,
        amountMinor: truth.amountMinor,
        msisdn: truth.msisdn,
      },
      'confirmation',
    ),
  };
}
