import type { SandboxMpesaShortcode } from '@/db/schema';
import { getDb } from '@/db/client';
import { env } from '@/lib/env';
import { postMovement } from './books';
import { emitNotification } from './callbacks';
import { currentMpesaFaults } from './faults';
import { findShortcode, knownShortcode, storeOfTill } from './shortcodes';
import { sendSms, smsText } from './sms';
import { customerNameFor, TEST_PHONES } from './test-phones';
import { compactStamp, maskMsisdn, receiptNumber, wireAmount } from './wire';
import { sandboxSettings } from './settings';

/**
 * A customer-initiated Paybill / Till payment (C2B), from the simulated phone's "Pay bill" menu
 * or from mpesa/c2b/v1/simulate: M-Pesa authorizes it, asks the registered ValidationURL (when
 * one is registered), completes or cancels it on the answer (or on the registered ResponseType
 * when the URL does not answer in time), credits the shortcode, texts the customer and POSTs the
 * confirmation to the ConfirmationURL. Completed payments are in the books whatever happens to
 * the confirmation, so Pull Transactions finds a payment whose confirmation was lost.
 */

export const C2B_MAX_CENTS = 250_000_00n;

export const validationTimeoutMs = () => sandboxSettings().MPESA_SANDBOX_VALIDATION_TIMEOUT_MS;

export interface C2bPayment {
  /** The business number the customer entered: a paybill, or for Buy Goods a till number (or its store's). */
  shortcode: string;
  commandId: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
  amountCents: bigint;
  msisdn: string;
  billRefNumber: string;
}

export type C2bOutcome =
  | { status: 'completed'; transId: string; message: string }
  | { status: 'rejected' | 'cancelled' | 'failed'; transId: string | null; resultCode: string; message: string };

/** Daraja's validation / confirmation body (the confirmation adds the shortcode's balance). */
function c2bBody(shortcode: SandboxMpesaShortcode, payment: C2bPayment, transId: string, at: Date, orgBalance: string) {
  const name = customerNameFor(payment.msisdn);
  return {
    TransactionType: payment.commandId === 'CustomerBuyGoodsOnline' ? 'Buy Goods' : 'Pay Bill',
    TransID: transId,
    TransTime: compactStamp(at),
    TransAmount: wireAmount(payment.amountCents),
    BusinessShortCode: shortcode.shortcode,
    // Buy Goods has no account number
    BillRefNumber: payment.commandId === 'CustomerBuyGoodsOnline' ? '' : payment.billRefNumber,
    InvoiceNumber: '',
    OrgAccountBalance: orgBalance,
    ThirdPartyTransID: '',
    MSISDN: shortcode.c2bApiVersion === 'v2' ? maskMsisdn(payment.msisdn) : payment.msisdn,
    FirstName: name.split(' ')[0] ?? name,
    MiddleName: '',
    LastName: name.split(' ').slice(1).join(' '),
  };
}

type ValidationAnswer = { accepted: true } | { accepted: false; resultCode: string; resultDesc: string } | { unreachable: true };

/** Asks the merchant; "0" accepts, any other ResultCode (C2B00011..C2B00016) rejects. */
async function askValidation(url: string, body: unknown): Promise<ValidationAnswer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(validationTimeoutMs()),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { unreachable: true };
    }
    const answer = (await response.json()) as { ResultCode?: unknown; ResultDesc?: unknown };
    const code = String(answer.ResultCode ?? '');
    if (code === '0') return { accepted: true };
    if (code === '') return { unreachable: true };
    return {
      accepted: false,
      resultCode: code,
      resultDesc: typeof answer.ResultDesc === 'string' ? answer.ResultDesc : 'Rejected',
    };
  } catch {
    return { unreachable: true };
  }
}

/**
 * The shortcode a payment lands on: a Pay Bill goes to the paybill itself; Buy Goods goes to the
 * till's store, whose URLs, accounts and Pull Transactions the till's payments use (the payment
 * names the store in BusinessShortCode, as Daraja does). A till number is no paybill.
 */
function receivingShortcode(payment: C2bPayment): string | undefined {
  if (payment.commandId === 'CustomerPayBillOnline') return knownShortcode(payment.shortcode) ? payment.shortcode : undefined;
  const store = storeOfTill(payment.shortcode);
  if (store) return store;
  // Daraja's simulate may name the store itself, when it has a till
  return knownShortcode(payment.shortcode) && env().DARAJA_TILL_NUMBER ? payment.shortcode : undefined;
}

export async function payBill(input: C2bPayment): Promise<C2bOutcome> {
  const store = receivingShortcode(input);
  const shortcode = store ? await findShortcode(store) : undefined;
  if (!shortcode)
    return {
      status: 'failed',
      transId: null,
      resultCode: 'C2B00015',
      message: input.commandId === 'CustomerBuyGoodsOnline' ? 'Invalid till number.' : 'Invalid business number.',
    };
  const till = input.commandId === 'CustomerBuyGoodsOnline';
  const payment: C2bPayment = { ...input, shortcode: shortcode.shortcode, billRefNumber: till ? '' : input.billRefNumber };
  if (payment.amountCents < 100n || payment.amountCents % 100n !== 0n || payment.amountCents > C2B_MAX_CENTS)
    return {
      status: 'failed',
      transId: null,
      resultCode: 'C2B00013',
      message: 'Enter a whole amount between KES 1 and KES 250,000.',
    };
  const customer = TEST_PHONES[payment.msisdn];
  if (customer?.resultCode === 1)
    return {
      status: 'failed',
      transId: null,
      resultCode: '1',
      message: 'Failed. You do not have enough money in your M-PESA account.',
    };

  const transId = receiptNumber();
  const at = new Date();
  if (shortcode.c2bValidationUrl) {
    const answer = await askValidation(shortcode.c2bValidationUrl, c2bBody(shortcode, payment, transId, at, ''));
    const proceed = 'accepted' in answer ? answer.accepted : shortcode.c2bResponseType !== 'Cancelled';
    if (!proceed) {
      const rejected = 'accepted' in answer && !answer.accepted;
      const reason = rejected ? answer.resultDesc : 'the business did not answer.';
      await sendSms(getDb(), payment.msisdn, smsText.failed(shortcode.organizationName, reason));
      return rejected
        ? {
            status: 'rejected',
            transId,
            resultCode: answer.resultCode,
            message: `Failed. ${shortcode.organizationName} rejected the payment: ${answer.resultDesc}`,
          }
        : {
            status: 'cancelled',
            transId,
            resultCode: 'C2B00016',
            message: `Failed. ${shortcode.organizationName} could not be reached; the payment was cancelled.`,
          };
    }
  }

  const movement = await getDb().transaction(async (tx) => {
    const row = await postMovement(tx, {
      id: transId,
      shortcode: shortcode.shortcode,
      kind: payment.commandId === 'CustomerBuyGoodsOnline' ? 'c2b_buygoods' : 'c2b_paybill',
      direction: 'in',
      amountCents: payment.amountCents,
      msisdn: payment.msisdn,
      customerName: customerNameFor(payment.msisdn),
      billReference: payment.billRefNumber,
    });
    await sendSms(
      tx,
      payment.msisdn,
      smsText.paid(transId, payment.amountCents, shortcode.organizationName, payment.billRefNumber, row.createdAt),
    );
    return row;
  });
  if (shortcode.c2bConfirmationUrl && !currentMpesaFaults().loseC2bConfirmation) {
    emitNotification(
      shortcode.c2bConfirmationUrl,
      c2bBody(shortcode, payment, transId, at, wireAmount(movement.balanceAfterCents)),
      transId,
    );
  }
  return {
    status: 'completed',
    transId,
    message: till
      ? `${transId} Confirmed. KES ${wireAmount(payment.amountCents)} paid to ${shortcode.organizationName} (till ${input.shortcode}).`
      : `${transId} Confirmed. KES ${wireAmount(payment.amountCents)} sent to ${shortcode.organizationName} for account ${payment.billRefNumber}.`,
  };
}
