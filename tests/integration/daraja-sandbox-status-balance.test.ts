import { describe, expect, it } from 'vitest';
import { setMpesaFaults } from '@/sandbox/mpesa';
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
 * Transaction Status (mpesa/transactionstatus/v1/query) and Account Balance
 * (mpesa/accountbalance/v1/query): asynchronous queries whose answer is a Result at ResultURL.
 */

let daraja: Daraja;
let merchant: MerchantServer;
let fields: InitiatorFields;
setUpDarajaSandbox({ env: { MPESA_SANDBOX_RESULT_DELAY_MS: '10' }, initiator: true }, (s) => ({ daraja, merchant, fields } = s));

async function status(query: Record<string, string>) {
  const ack = await daraja.post('mpesa/transactionstatus/v1/query', {
    Initiator: fields.initiator,
    SecurityCredential: fields.SecurityCredential,
    CommandID: 'TransactionStatusQuery',
    PartyA: daraja.shortcode,
    IdentifierType: '4',
    ResultURL: fields.ResultURL,
    QueueTimeOutURL: fields.QueueTimeOutURL,
    Remarks: 'status',
    Occasion: 'recon',
    ...query,
  });
  expect(ack.status, JSON.stringify(ack.body)).toBe(200);
  expect(ack.body.ResponseCode).toBe('0');
  return { Result: await resultFor(merchant, ack.body.ConversationID) };
}

async function balance() {
  const ack = await daraja.post('mpesa/accountbalance/v1/query', {
    Initiator: fields.initiator,
    SecurityCredential: fields.SecurityCredential,
    CommandID: 'AccountBalance',
    PartyA: daraja.shortcode,
    IdentifierType: '4',
    Remarks: 'balance',
    ResultURL: fields.ResultURL,
    QueueTimeOutURL: fields.QueueTimeOutURL,
  });
  expect(ack.status).toBe(200);
  return { Result: await resultFor(merchant, ack.body.ConversationID) };
}

describe('Transaction Status', () => {
  it('reports a Paybill receipt by TransactionID', async () => {
    const payer = freshMsisdn();
    const receipt = await fund(daraja, 120, payer, 'ACC-7');
    const r = await status({ TransactionID: receipt });
    expect(r.Result).toMatchObject({ ResultType: 0, ResultCode: 0, TransactionID: receipt });
    expect(param(r, 'TransactionStatus')).toBe('Completed');
    expect(param(r, 'ReceiptNo')).toBe(receipt);
    expect(param(r, 'Amount')).toBe(120);
    expect(param(r, 'TransactionReason')).toBe('ACC-7');
    expect(param(r, 'DebitPartyName')).toMatch(new RegExp(`^${payer} - `));
    expect(param(r, 'CreditPartyName')).toMatch(new RegExp(`^${daraja.shortcode} - `));
    expect(param(r, 'FinalisedTime')).toEqual(expect.any(Number));
    expect(r.Result.ReferenceData.ReferenceItem).toContainEqual({ Key: 'Occasion', Value: 'recon' });
  });

  it('reports a B2C payout by its OriginatorConversationID, also when its own Result was lost', async () => {
    await fund(daraja, 200);
    setMpesaFaults({ drop: true });
    const body = b2cRequest(fields, daraja.shortcode, { Amount: 70 });
    const ack = await daraja.post('mpesa/b2c/v3/paymentrequest', body);
    expect(ack.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(merchant.on('/result').some((x) => x.body.Result.ConversationID === ack.body.ConversationID)).toBe(false);
    setMpesaFaults(null);
    const r = await status({ OriginalConversationID: body.OriginatorConversationID });
    expect(r.Result.ResultCode).toBe(0);
    expect(param(r, 'TransactionStatus')).toBe('Completed');
    expect(param(r, 'Amount')).toBe(70);
    expect(param(r, 'OriginatorConversationID')).toBe(body.OriginatorConversationID);
    expect(param(r, 'ConversationID')).toBe(ack.body.ConversationID);
    expect(param(r, 'ReasonType')).toBe('Business Payment to Customer via API');
    const byReceipt = await status({ TransactionID: String(param(r, 'ReceiptNo')) });
    expect(param(byReceipt, 'OriginatorConversationID')).toBe(body.OriginatorConversationID);
  });

  it('reports a failed B2C as TransactionStatus Failed with its reason', async () => {
    const all = Number((await daraja.portal()).balances.utility);
    const body = b2cRequest(fields, daraja.shortcode, { Amount: all + 10 });
    const ack = await daraja.post('mpesa/b2c/v3/paymentrequest', body);
    expect((await resultFor(merchant, ack.body.ConversationID)).ResultCode).toBe(1);
    const r = await status({ OriginalConversationID: body.OriginatorConversationID });
    expect(r.Result.ResultCode).toBe(0);
    expect(param(r, 'TransactionStatus')).toBe('Failed');
    expect(param(r, 'ResultCode')).toBe(1);
    expect(param(r, 'ReasonType')).toBe('The balance is insufficient for the transaction.');
  });

  it('answers an unknown transaction with the not-found result and no parameters', async () => {
    const r = await status({ TransactionID: 'SLB9ZZZZZZ' });
    expect(r.Result).toMatchObject({
      ResultCode: 404,
      ResultDesc: 'No transaction matches the TransactionID or OriginalConversationID.',
    });
    expect(r.Result.ResultParameters).toBeUndefined();
  });

  it('needs a TransactionID or an OriginalConversationID', async () => {
    const res = await daraja.post('mpesa/transactionstatus/v1/query', {
      Initiator: fields.initiator,
      SecurityCredential: fields.SecurityCredential,
      CommandID: 'TransactionStatusQuery',
      PartyA: daraja.shortcode,
      IdentifierType: '4',
      ResultURL: fields.ResultURL,
      QueueTimeOutURL: fields.QueueTimeOutURL,
      Remarks: 'status',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid TransactionID' });
  });
});

describe('Account Balance', () => {
  it("reports the shortcode's accounts in Daraja's pipe format, following receipts and payouts", async () => {
    const parse = (r: unknown) =>
      Object.fromEntries(
        String(param(r, 'AccountBalance'))
          .split('&')
          .map((line) => {
            const [name, currency, available, current, reserved, uncleared] = line.split('|');
            expect(currency).toBe('KES');
            expect(current).toBe(available);
            expect([reserved, uncleared]).toEqual(['0.00', '0.00']);
            return [name, available];
          }),
      );
    const before = parse(await balance());
    expect(Object.keys(before)).toEqual([
      'Working Account',
      'Float Account',
      'Utility Account',
      'Charges Paid Account',
      'Organization Settlement Account',
      'Merchant Account',
    ]);
    await fund(daraja, 75);
    const payout = await daraja.post('mpesa/b2c/v3/paymentrequest', b2cRequest(fields, daraja.shortcode, { Amount: 25 }));
    await resultFor(merchant, payout.body.ConversationID);
    const after = await balance();
    expect(Number(parse(after)['Utility Account'])).toBe(Number(before['Utility Account']) + 50);
    expect(String(param(after, 'BOCompletedTime'))).toMatch(/^\d{14}$/);
  });

  it('refuses a wrong CommandID or IdentifierType with 400.002.02', async () => {
    for (const [override, field] of [
      [{ CommandID: 'Balance' }, 'CommandID'],
      [{ IdentifierType: '1' }, 'IdentifierType'],
    ] as const) {
      const res = await daraja.post('mpesa/accountbalance/v1/query', {
        Initiator: fields.initiator,
        SecurityCredential: fields.SecurityCredential,
        CommandID: 'AccountBalance',
        PartyA: daraja.shortcode,
        IdentifierType: '4',
        Remarks: 'balance',
        ResultURL: fields.ResultURL,
        QueueTimeOutURL: fields.QueueTimeOutURL,
        ...override,
      });
      expect(res.body.errorMessage).toBe(`Bad Request - Invalid ${field}`);
    }
  });
});
