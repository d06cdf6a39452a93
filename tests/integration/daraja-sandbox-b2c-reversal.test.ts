import { describe, expect, it } from 'vitest';
import {
  b2cRequest,
  type Daraja,
  freshMsisdn,
  fund,
  type InitiatorFields,
  type MerchantServer,
  param,
  resultFor,
  setUpDarajaSandbox,
} from '../helpers/daraja-sandbox';

/**
 * B2C v3 (mpesa/b2c/v3/paymentrequest) and Reversal (mpesa/reversal/v1/request) against the
 * sandbox over HTTP: the acknowledgement, the Result at ResultURL with Daraja's ResultParameters,
 * the shortcode's Utility account (receipts fund it, payouts and reversals draw on it, never below
 * zero), the customer's SMS, and each documented failure.
 */

let daraja: Daraja;
let merchant: MerchantServer;
let fields: InitiatorFields;
setUpDarajaSandbox({ env: { MPESA_SANDBOX_RESULT_DELAY_MS: '10' }, initiator: true }, (s) => ({ daraja, merchant, fields } = s));

const utility = async () => (await daraja.portal()).balances.utility;

async function b2c(overrides: Record<string, unknown> = {}) {
  const body = b2cRequest(fields, daraja.shortcode, overrides);
  const ack = await daraja.post('mpesa/b2c/v3/paymentrequest', body);
  return { body, ack };
}

function reversalRequest(transactionId: string, amount: number | string, overrides: Record<string, unknown> = {}) {
  return {
    Initiator: fields.initiator,
    SecurityCredential: fields.SecurityCredential,
    CommandID: 'TransactionReversal',
    TransactionID: transactionId,
    Amount: amount,
    ReceiverParty: daraja.shortcode,
    RecieverIdentifierType: '11',
    ResultURL: fields.ResultURL,
    QueueTimeOutURL: fields.QueueTimeOutURL,
    Remarks: 'Refund',
    Occasion: 'order 7',
    ...overrides,
  };
}

describe('B2C v3', () => {
  it('fails with ResultCode 1 when the Utility account is short, and moves nothing', async () => {
    expect(await utility()).toBe('0.00');
    const { ack } = await b2c({ Amount: 100 });
    expect(ack.status).toBe(200);
    const result = await resultFor(merchant, ack.body.ConversationID);
    expect(result).toMatchObject({
      ResultType: 0,
      ResultCode: 1,
      ResultDesc: 'The balance is insufficient for the transaction.',
    });
    expect(result.ResultParameters).toBeUndefined();
    expect(await utility()).toBe('0.00');
  });

  it('pays the customer from the Utility account: ack, Result parameters, balance and SMS', async () => {
    await fund(daraja, 1_000);
    expect(await utility()).toBe('1000.00');
    const payee = freshMsisdn();
    const { body, ack } = await b2c({ Amount: '250', PartyB: payee });
    expect(ack.body).toEqual({
      OriginatorConversationID: body.OriginatorConversationID,
      ConversationID: expect.stringMatching(/^AG_\d{8}_[0-9a-f]{20}$/),
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    });
    const result = await resultFor(merchant, ack.body.ConversationID);
    expect(result).toMatchObject({ ResultType: 0, ResultCode: 0, OriginatorConversationID: body.OriginatorConversationID });
    expect(result.TransactionID).toMatch(/^[A-Z]{2}[A-Z0-9]{8}$/);
    expect(param({ Result: result }, 'TransactionAmount')).toBe(250);
    expect(param({ Result: result }, 'TransactionReceipt')).toBe(result.TransactionID);
    expect(param({ Result: result }, 'B2CUtilityAccountAvailableFunds')).toBe(750);
    expect(param({ Result: result }, 'B2CRecipientIsRegisteredCustomer')).toBe('Y');
    expect(param({ Result: result }, 'ReceiverPartyPublicName')).toMatch(new RegExp(`^${payee} - `));
    expect(param({ Result: result }, 'TransactionCompletedDateTime')).toMatch(/^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$/);
    expect(result.ReferenceData.ReferenceItem).toContainEqual({ Key: 'Occasion', Value: 'order 42' });
    expect(await utility()).toBe('750.00');
    const phone = await daraja.phone(payee);
    expect(phone.messages[0]!.body).toMatch(
      new RegExp(`^${result.TransactionID} Confirmed\\. You have received Ksh250\\.00 from `),
    );
  });

  it('a retry with the same OriginatorConversationID gets the first acknowledgement and pays once, even concurrently', async () => {
    await fund(daraja, 100);
    const before = await utility();
    const body = b2cRequest(fields, daraja.shortcode, { Amount: 60 });
    const acks = await Promise.all([1, 2, 3].map(() => daraja.post('mpesa/b2c/v3/paymentrequest', body)));
    for (const ack of acks) expect(ack.body).toEqual(acks[0]!.body);
    const again = await daraja.post('mpesa/b2c/v3/paymentrequest', body);
    expect(again.body).toEqual(acks[0]!.body);
    await resultFor(merchant, acks[0]!.body.ConversationID);
    expect(Number(await utility())).toBe(Number(before) - 60);
  });

  it('refuses the same OriginatorConversationID with another body', async () => {
    await fund(daraja, 100);
    const { body } = await b2c({ Amount: 20 });
    const other = await daraja.post('mpesa/b2c/v3/paymentrequest', { ...body, Amount: 30 });
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ errorCode: '400.002.02' });
  });

  it('declines amounts outside the limits with ResultCode 2', async () => {
    const { ack } = await b2c({ Amount: 9 });
    expect(await resultFor(merchant, ack.body.ConversationID)).toMatchObject({
      ResultCode: 2,
      ResultDesc: expect.stringMatching(/^Declined due to limit rule: less than the minimum/),
    });
    const big = await b2c({ Amount: 250_001 });
    expect((await resultFor(merchant, big.ack.body.ConversationID)).ResultCode).toBe(2);
  });

  it('answers malformed requests synchronously with 400.002.02 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ PartyB: '0712345678' }, 'Bad Request - Invalid PartyB'],
      [{ Amount: '10.50' }, 'Bad Request - Invalid Amount'],
      [{ Amount: -5 }, 'Bad Request - Invalid Amount'],
      [{ CommandID: 'Payout' }, 'Bad Request - Invalid CommandID'],
      [{ ResultURL: 'not a url' }, 'Bad Request - Invalid ResultURL'],
      [{ OriginatorConversationID: undefined }, 'Bad Request - Invalid OriginatorConversationID'],
      [{ PartyA: '600000' }, 'Bad Request - Invalid PartyA'],
    ];
    for (const [override, message] of cases) {
      const res = await daraja.post('mpesa/b2c/v3/paymentrequest', b2cRequest(fields, daraja.shortcode, override));
      expect(res.status, message).toBe(400);
      expect(res.body).toMatchObject({ errorCode: '400.002.02', errorMessage: message });
    }
    const notJson = await daraja.post('mpesa/b2c/v3/paymentrequest', '{"Amount":');
    expect(notJson.body).toMatchObject({ errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid JSON' });
  });
});

describe('Reversal', () => {
  it('reverses a Paybill receipt: Result parameters, Utility account debited, customer SMS', async () => {
    const payer = freshMsisdn();
    const receipt = await fund(daraja, 300, payer, 'INV-1');
    const before = Number(await utility());
    const ack = await daraja.post('mpesa/reversal/v1/request', reversalRequest(receipt, '300.00'));
    expect(ack.body).toMatchObject({
      ResponseCode: '0',
      ConversationID: expect.stringMatching(/^AG_/),
      OriginatorConversationID: expect.any(String),
    });
    const result = await resultFor(merchant, ack.body.ConversationID);
    expect(result).toMatchObject({ ResultType: 0, ResultCode: 0 });
    const wrapped = { Result: result };
    expect(param(wrapped, 'OriginalTransactionID')).toBe(receipt);
    expect(param(wrapped, 'Amount')).toBe(300);
    expect(param(wrapped, 'DebitAccountBalance')).toBe(
      `Utility Account|KES|${(before - 300).toFixed(2)}|${(before - 300).toFixed(2)}|0.00|0.00`,
    );
    expect(param(wrapped, 'CreditPartyPublicName')).toMatch(new RegExp(`^${payer} - `));
    expect(param(wrapped, 'TransCompletedTime')).toEqual(expect.any(Number));
    expect(Number(await utility())).toBe(before - 300);
    const sms = (await daraja.phone(payer)).messages.map((m) => m.body);
    expect(sms[0]).toMatch(new RegExp(`Transaction ${receipt} has been reversed\\. Ksh300\\.00 is credited`));
  });

  it('reverses an STK push receipt', async () => {
    const token = await daraja.token();
    const stamp = '20261201120000';
    const password = Buffer.from(`${daraja.shortcode}${process.env.DARAJA_PASSKEY}${stamp}`).toString('base64');
    process.env.MPESA_SANDBOX_AUTO_ANSWER_MS = '20';
    const push = await daraja.post(
      'mpesa/stkpush/v1/processrequest',
      {
        BusinessShortCode: daraja.shortcode,
        Password: password,
        Timestamp: stamp,
        TransactionType: 'CustomerPayBillOnline',
        Amount: 45,
        PartyA: '254700000000',
        PartyB: daraja.shortcode,
        PhoneNumber: '254700000000',
        CallBackURL: `${merchant.url}/stk`,
        AccountReference: 'ORDER9',
        TransactionDesc: 'Payment',
      },
      token,
    );
    expect(push.status, JSON.stringify(push.body)).toBe(200);
    const callback = (await merchant.waitFor('/stk')).find(
      (r) => r.body.Body.stkCallback.CheckoutRequestID === push.body.CheckoutRequestID,
    )!;
    delete process.env.MPESA_SANDBOX_AUTO_ANSWER_MS;
    const receipt = callback.body.Body.stkCallback.CallbackMetadata.Item.find((i: any) => i.Name === 'MpesaReceiptNumber')
      .Value as string;
    const ack = await daraja.post('mpesa/reversal/v1/request', reversalRequest(receipt, 45));
    expect((await resultFor(merchant, ack.body.ConversationID)).ResultCode).toBe(0);
  });

  it('refuses a second reversal of the same receipt with R000001, even when both race', async () => {
    const receipt = await fund(daraja, 80);
    const before = Number(await utility());
    const acks = await Promise.all([1, 2, 3].map(() => daraja.post('mpesa/reversal/v1/request', reversalRequest(receipt, 80))));
    const results = await Promise.all(acks.map((a) => resultFor(merchant, a.body.ConversationID)));
    expect(results.filter((r) => r.ResultCode === 0)).toHaveLength(1);
    for (const r of results.filter((x) => x.ResultCode !== 0))
      expect(r).toMatchObject({ ResultCode: 'R000001', ResultDesc: 'The transaction has already been reversed.' });
    expect(Number(await utility())).toBe(before - 80);
  });

  it('refuses an unknown receipt, a payout receipt and a partial amount', async () => {
    const unknown = await daraja.post('mpesa/reversal/v1/request', reversalRequest('SLB0000XYZ', 10));
    expect(await resultFor(merchant, unknown.body.ConversationID)).toMatchObject({
      ResultCode: 'R000002',
      ResultDesc: 'The OriginalTransactionID is invalid.',
    });
    await fund(daraja, 50);
    const payout = await b2c({ Amount: 10 });
    const payoutReceipt = (await resultFor(merchant, payout.ack.body.ConversationID)).TransactionID;
    const ofPayout = await daraja.post('mpesa/reversal/v1/request', reversalRequest(payoutReceipt, 10));
    expect((await resultFor(merchant, ofPayout.body.ConversationID)).ResultCode).toBe('R000002');
    const receipt = await fund(daraja, 90);
    const partial = await daraja.post('mpesa/reversal/v1/request', reversalRequest(receipt, 40));
    expect((await resultFor(merchant, partial.body.ConversationID)).ResultCode).toBe(2);
    const full = await daraja.post('mpesa/reversal/v1/request', reversalRequest(receipt, '90.00'));
    expect((await resultFor(merchant, full.body.ConversationID)).ResultCode).toBe(0);
  });

  it('fails with ResultCode 1 when payouts emptied the Utility account first', async () => {
    const receipt = await fund(daraja, 500);
    const all = Number(await utility());
    const drain = await b2c({ Amount: all });
    expect((await resultFor(merchant, drain.ack.body.ConversationID)).ResultCode).toBe(0);
    const ack = await daraja.post('mpesa/reversal/v1/request', reversalRequest(receipt, 500));
    expect(await resultFor(merchant, ack.body.ConversationID)).toMatchObject({ ResultCode: 1 });
    expect(await utility()).toBe('0.00');
  });

  it('answers malformed reversals with 400.002.02', async () => {
    for (const [override, field] of [
      [{ CommandID: 'Reversal' }, 'CommandID'],
      [{ TransactionID: 'short' }, 'TransactionID'],
      [{ RecieverIdentifierType: '1' }, 'RecieverIdentifierType'],
      [{ Amount: 'ten' }, 'Amount'],
    ] as const) {
      const res = await daraja.post('mpesa/reversal/v1/request', reversalRequest('SLB1234567', 10, override));
      expect(res.status).toBe(400);
      expect(res.body.errorMessage).toBe(`Bad Request - Invalid ${field}`);
    }
  });
});
