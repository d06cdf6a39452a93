import type { Tx } from '@/db/client';
import type { SandboxMpesaShortcode, SandboxMpesaTransaction } from '@/db/schema';
import { placeholderTransactionId, findRequestByOriginatorId, findRequestByTransactionId, type Outcome } from './async-requests';
import {
  allBalances,
  balanceCents,
  findReversalOf,
  findTransaction,
  InsufficientFunds,
  lockShortcode,
  postMovement,
} from './books';
import { sendSms, smsText } from './sms';
import { customerNameFor } from './test-phones';
import { compactStamp, dottedStamp, receiptNumber, wireAmount, wireNumber } from './wire';

/**
 * What B2C, reversal, Transaction Status and Account Balance do once Daraja has accepted the
 * request and the initiator checked out: the money movement (if any) and the Result's
 * ResultCode, ResultDesc and ResultParameters, with Daraja's keys and value formats.
 */

export const B2C_MIN_CENTS = 10_00n;
export const B2C_MAX_CENTS = 250_000_00n;

const INSUFFICIENT = { resultCode: 1, resultDesc: 'The balance is insufficient for the transaction.' } as const;

const accountLine = (name: string, cents: bigint) => `${name}|KES|${wireAmount(cents)}|${wireAmount(cents)}|0.00|0.00`;

const failure = (resultCode: number | string, resultDesc: string, amountCents?: bigint): Outcome => ({
  resultCode,
  resultDesc,
  transactionId: placeholderTransactionId(),
  ...(amountCents !== undefined ? { amountCents } : {}),
});

export interface B2cInput {
  shortcode: SandboxMpesaShortcode;
  commandId: 'SalaryPayment' | 'BusinessPayment' | 'PromotionPayment';
  amountCents: bigint;
  msisdn: string;
  remarks: string;
}

export async function processB2c(tx: Tx, input: B2cInput, ids: { conversationId: string }): Promise<Outcome> {
  if (input.amountCents < B2C_MIN_CENTS)
    return failure(2, 'Declined due to limit rule: less than the minimum transaction amount.', input.amountCents);
  if (input.amountCents > B2C_MAX_CENTS)
    return failure(2, 'Declined due to limit rule: greater than the maximum transaction amount.', input.amountCents);
  const name = customerNameFor(input.msisdn);
  let movement: SandboxMpesaTransaction;
  try {
    movement = await postMovement(tx, {
      shortcode: input.shortcode.shortcode,
      kind: 'b2c',
      direction: 'out',
      amountCents: input.amountCents,
      msisdn: input.msisdn,
      customerName: name,
      billReference: input.commandId,
      conversationId: ids.conversationId,
    });
  } catch (err) {
    if (err instanceof InsufficientFunds) return failure(INSUFFICIENT.resultCode, INSUFFICIENT.resultDesc, input.amountCents);
    throw err;
  }
  await sendSms(
    tx,
    input.msisdn,
    smsText.received(movement.id, input.amountCents, input.shortcode.organizationName, movement.createdAt),
  );
  const working = await balanceCents(tx, input.shortcode.shortcode, 'working');
  const charges = await balanceCents(tx, input.shortcode.shortcode, 'charges_paid');
  return {
    resultCode: 0,
    resultDesc: 'The service request is processed successfully.',
    transactionId: movement.id,
    amountCents: input.amountCents,
    parameters: [
      { Key: 'TransactionAmount', Value: wireNumber(input.amountCents) },
      { Key: 'TransactionReceipt', Value: movement.id },
      { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
      { Key: 'B2CChargesPaidAccountAvailableFunds', Value: wireNumber(charges) },
      { Key: 'ReceiverPartyPublicName', Value: `${input.msisdn} - ${name}` },
      { Key: 'TransactionCompletedDateTime', Value: dottedStamp(movement.createdAt) },
      { Key: 'B2CUtilityAccountAvailableFunds', Value: wireNumber(movement.balanceAfterCents) },
      { Key: 'B2CWorkingAccountAvailableFunds', Value: wireNumber(working) },
    ],
  };
}

export interface ReversalInput {
  shortcode: SandboxMpesaShortcode;
  transactionId: string;
  amountCents: bigint;
}

const REVERSIBLE = new Set(['stk', 'c2b_paybill', 'c2b_buygoods']);

export async function processReversal(tx: Tx, input: ReversalInput, ids: { conversationId: string }): Promise<Outcome> {
  // the lock first: a concurrent reversal of the same receipt then sees this one's row
  await lockShortcode(tx, input.shortcode.shortcode);
  const original = await findTransaction(tx, input.transactionId);
  if (!original || original.shortcode !== input.shortcode.shortcode || !REVERSIBLE.has(original.kind))
    return failure('R000002', 'The OriginalTransactionID is invalid.');
  if (await findReversalOf(tx, original.id)) return failure('R000001', 'The transaction has already been reversed.');
  // M-Pesa reverses a whole transaction: the amount must be the original one
  if (input.amountCents !== original.paidInCents)
    return failure(2, 'Declined due to limit rule: the amount is not the original amount.');
  let movement: SandboxMpesaTransaction;
  try {
    movement = await postMovement(tx, {
      shortcode: original.shortcode,
      kind: 'reversal',
      // a Till receipt went to the Merchant account: its reversal takes it from there
      account: original.account,
      direction: 'out',
      amountCents: original.paidInCents,
      msisdn: original.msisdn,
      customerName: original.customerName,
      billReference: original.billReference,
      originalTransactionId: original.id,
      conversationId: ids.conversationId,
    });
  } catch (err) {
    if (err instanceof InsufficientFunds) return failure(INSUFFICIENT.resultCode, INSUFFICIENT.resultDesc);
    throw err;
  }
  await sendSms(tx, original.msisdn, smsText.reversed(movement.id, original.id, original.paidInCents, movement.createdAt));
  return {
    resultCode: 0,
    resultDesc: 'The service request is processed successfully.',
    transactionId: movement.id,
    amountCents: original.paidInCents,
    parameters: [
      {
        Key: 'DebitAccountBalance',
        Value: accountLine(movement.account === 'merchant' ? 'Merchant Account' : 'Utility Account', movement.balanceAfterCents),
      },
      { Key: 'Amount', Value: wireNumber(original.paidInCents) },
      { Key: 'TransCompletedTime', Value: Number(compactStamp(movement.createdAt)) },
      { Key: 'OriginalTransactionID', Value: original.id },
      { Key: 'Charge', Value: 0 },
      { Key: 'CreditPartyPublicName', Value: `${original.msisdn} - ${original.customerName}` },
      { Key: 'DebitPartyPublicName', Value: `${original.shortcode} - ${input.shortcode.organizationName}` },
    ],
  };
}

export async function processAccountBalance(tx: Tx, shortcode: SandboxMpesaShortcode): Promise<Outcome> {
  const b = await allBalances(tx, shortcode.shortcode);
  const value = [
    accountLine('Working Account', b.working),
    accountLine('Float Account', 0n),
    accountLine('Utility Account', b.utility),
    accountLine('Charges Paid Account', b.charges_paid),
    accountLine('Organization Settlement Account', 0n),
    accountLine('Merchant Account', b.merchant),
  ].join('&');
  return {
    resultCode: 0,
    resultDesc: 'The service request is processed successfully.',
    transactionId: receiptNumber(),
    parameters: [
      { Key: 'AccountBalance', Value: value },
      { Key: 'BOCompletedTime', Value: Number(compactStamp(new Date())) },
    ],
  };
}

const REASONS: Record<SandboxMpesaTransaction['kind'], string> = {
  stk: 'Pay Bill Online',
  c2b_paybill: 'Pay Bill',
  c2b_buygoods: 'Pay Merchant',
  b2c: 'Business Payment to Customer via API',
  reversal: 'Reversal',
};

function statusOfMovement(
  t: SandboxMpesaTransaction,
  shortcode: SandboxMpesaShortcode,
  originatorId: string,
  conversationId: string,
): Outcome {
  const customer = `${t.msisdn} - ${t.customerName}`;
  const business = `${t.shortcode} - ${shortcode.organizationName}`;
  const incoming = t.paidInCents > 0n;
  const cents = incoming ? t.paidInCents : t.withdrawnCents;
  return {
    resultCode: 0,
    resultDesc: 'The service request is processed successfully.',
    transactionId: t.id,
    amountCents: cents,
    parameters: [
      { Key: 'DebitPartyName', Value: incoming ? customer : business },
      { Key: 'CreditPartyName', Value: incoming ? business : customer },
      { Key: 'OriginatorConversationID', Value: originatorId },
      { Key: 'InitiatedTime', Value: Number(compactStamp(t.createdAt)) },
      {
        Key: 'DebitAccountType',
        Value: incoming ? 'MMF Account For Customer' : `${t.account === 'merchant' ? 'Merchant' : 'Utility'} Account`,
      },
      { Key: 'DebitPartyCharges', Value: '' },
      { Key: 'TransactionReason', Value: t.billReference },
      { Key: 'ReasonType', Value: REASONS[t.kind] },
      { Key: 'TransactionStatus', Value: 'Completed' },
      { Key: 'FinalisedTime', Value: Number(compactStamp(t.createdAt)) },
      { Key: 'Amount', Value: wireNumber(cents) },
      { Key: 'ConversationID', Value: conversationId },
      { Key: 'ReceiptNo', Value: t.id },
      ...(t.originalTransactionId ? [{ Key: 'OriginalTransactionID', Value: t.originalTransactionId }] : []),
    ],
  };
}

export const STATUS_NOT_FOUND = {
  resultCode: 404,
  resultDesc: 'No transaction matches the TransactionID or OriginalConversationID.',
} as const;

/**
 * Looks a transaction up by receipt (TransactionID) or by the OriginatorConversationID of the B2C or
 * reversal that made it. A B2C or reversal that failed reports TransactionStatus "Failed" with the
 * failure's ResultDesc as ReasonType; one that timed out in the queue (never processed) is not found.
 */
export async function processTransactionStatus(
  tx: Tx,
  shortcode: SandboxMpesaShortcode,
  query: { transactionId?: string; originalConversationId?: string },
): Promise<Outcome> {
  const request = query.originalConversationId
    ? await findRequestByOriginatorId(query.originalConversationId)
    : query.transactionId
      ? await findRequestByTransactionId(query.transactionId)
      : undefined;
  const receipt = query.transactionId ?? (request?.resultCode === 0 ? (request.transactionId ?? undefined) : undefined);
  const movement = receipt ? await findTransaction(tx, receipt) : undefined;
  if (movement && movement.shortcode === shortcode.shortcode)
    return statusOfMovement(movement, shortcode, request?.originatorConversationId ?? '', request?.conversationId ?? '');
  if (request && request.shortcode === shortcode.shortcode && request.status === 'completed' && request.resultCode !== 0) {
    return {
      resultCode: 0,
      resultDesc: 'The service request is processed successfully.',
      transactionId: request.transactionId ?? placeholderTransactionId(),
      parameters: [
        { Key: 'OriginatorConversationID', Value: request.originatorConversationId },
        { Key: 'ConversationID', Value: request.conversationId },
        { Key: 'InitiatedTime', Value: Number(compactStamp(request.createdAt)) },
        { Key: 'TransactionStatus', Value: 'Failed' },
        { Key: 'ReasonType', Value: request.resultDesc ?? '' },
        { Key: 'ResultCode', Value: request.resultCode ?? '' },
        { Key: 'Amount', Value: request.amountCents ? wireNumber(request.amountCents) : 0 },
      ],
    };
  }
  return failure(STATUS_NOT_FOUND.resultCode, STATUS_NOT_FOUND.resultDesc);
}
