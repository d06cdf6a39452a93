import { afterEach, describe, expect, it } from 'vitest';
import { setMpesaFaults } from '@/sandbox/mpesa';
import {
  b2cRequest,
  type Daraja,
  freshMsisdn,
  fund,
  initiatorFields,
  type MerchantServer,
  nairobiNow,
  resultFor,
  sleep,
  setUpDarajaSandbox,
} from '../helpers/daraja-sandbox';

/**
 * C2B (mpesa/c2b/v1|v2/registerurl, mpesa/c2b/v1/simulate and the phone's "Pay bill" menu) with
 * the merchant's validation and confirmation URLs, then Pull Transactions
 * (pulltransactions/v1/register and /query) and the downloadable statement, over HTTP.
 */

let daraja: Daraja;
let merchant: MerchantServer;
setUpDarajaSandbox(
  { env: { MPESA_SANDBOX_RESULT_DELAY_MS: '10', MPESA_SANDBOX_VALIDATION_TIMEOUT_MS: '300' } },
  (s) => ({ daraja, merchant } = s),
);

afterEach(() => {
  merchant.validation = () => ({ body: { ResultCode: '0', ResultDesc: 'Accepted' } });
});

const register = (version: 'v1' | 'v2', responseType = 'Completed') =>
  daraja.post(`mpesa/c2b/${version}/registerurl`, {
    ShortCode: daraja.shortcode,
    ResponseType: responseType,
    ConfirmationURL: `${merchant.url}/confirmation`,
    ValidationURL: `${merchant.url}/validation`,
  });

const utility = async () => Number((await daraja.portal()).balances.utility);

async function confirmationOf(transId: string) {
  await expect.poll(() => merchant.on('/confirmation').some((r) => r.body.TransID === transId)).toBe(true);
  return merchant.on('/confirmation').find((r) => r.body.TransID === transId)!.body;
}

describe('C2B register URL', () => {
  it("acknowledges with Daraja's C2B answer, and re-registration replaces the URLs", async () => {
    const first = await register('v1');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      OriginatorCoversationID: expect.any(String),
      ResponseCode: '0',
      ResponseDescription: 'Success',
    });
    expect((await register('v1')).status).toBe(200);
    const portal = (await (await daraja.get(`portal/shortcodes/${daraja.shortcode}`)).json()) as any;
    expect(portal.c2b).toEqual({
      confirmationUrl: `${merchant.url}/confirmation`,
      validationUrl: `${merchant.url}/validation`,
      responseType: 'Completed',
      version: 'v1',
    });
  });

  it('refuses a bad ResponseType, a missing URL and an unknown shortcode with 400.002.02', async () => {
    expect((await register('v1', 'completed')).body.errorMessage).toBe('Bad Request - Invalid ResponseType');
    const noUrl = await daraja.post('mpesa/c2b/v1/registerurl', {
      ShortCode: daraja.shortcode,
      ResponseType: 'Completed',
      ConfirmationURL: `${merchant.url}/c`,
    });
    expect(noUrl.body.errorMessage).toBe('Bad Request - Invalid ValidationURL');
    const unknown = await daraja.post('mpesa/c2b/v1/registerurl', {
      ShortCode: '600000',
      ResponseType: 'Completed',
      ConfirmationURL: `${merchant.url}/c`,
      ValidationURL: `${merchant.url}/v`,
    });
    expect(unknown.body.errorMessage).toBe('Bad Request - Invalid ShortCode');
  });
});

describe('a Paybill payment from the phone', () => {
  it('asks validation, completes, credits the Utility account, texts the customer and confirms', async () => {
    await register('v1');
    const payer = freshMsisdn();
    const before = await utility();
    const answer = await daraja.payBill(payer, {
      businessNumber: daraja.shortcode,
      accountNumber: 'CS-123',
      amount: '1500',
      pin: '1234',
    });
    expect(answer).toMatchObject({ ResultCode: 0, status: 'completed', TransID: expect.stringMatching(/^[A-Z0-9]{10}$/) });
    const validation = merchant.on('/validation').find((r) => r.body.TransID === answer.TransID)!.body;
    expect(validation).toMatchObject({
      TransactionType: 'Pay Bill',
      TransAmount: '1500.00',
      BusinessShortCode: daraja.shortcode,
      BillRefNumber: 'CS-123',
      MSISDN: payer,
      OrgAccountBalance: '',
      TransTime: expect.stringMatching(/^\d{14}$/),
      FirstName: expect.any(String),
    });
    const confirmation = await confirmationOf(answer.TransID);
    expect(confirmation).toMatchObject({
      TransAmount: '1500.00',
      BillRefNumber: 'CS-123',
      OrgAccountBalance: (before + 1500).toFixed(2),
    });
    expect(await utility()).toBe(before + 1500);
    expect((await daraja.phone(payer)).messages[0]!.body).toMatch(
      new RegExp(`^${answer.TransID} Confirmed\\. Ksh1500\\.00 sent to .* for account CS-123`),
    );
  });

  it('a rejection by the validation URL (C2B00012) cancels the payment: no money, no confirmation', async () => {
    await register('v1');
    merchant.validation = (body) =>
      body.BillRefNumber === 'NOPE'
        ? { body: { ResultCode: 'C2B00012', ResultDesc: 'Invalid Account Number' } }
        : { body: { ResultCode: '0' } };
    const before = await utility();
    const payer = freshMsisdn();
    const answer = await daraja.payBill(payer, {
      businessNumber: daraja.shortcode,
      accountNumber: 'NOPE',
      amount: 99,
      pin: '1234',
    });
    expect(answer).toMatchObject({ ResultCode: 'C2B00012', status: 'rejected' });
    expect(answer.message).toContain('Invalid Account Number');
    await sleep(100);
    expect(merchant.on('/confirmation').some((r) => r.body.TransID === answer.TransID)).toBe(false);
    expect(await utility()).toBe(before);
    expect((await daraja.phone(payer)).messages[0]!.body).toMatch(/^Failed\./);
  });

  it('an unreachable validation URL follows the registered ResponseType: Completed pays, Cancelled does not', async () => {
    merchant.validation = () => ({ delayMs: 600, body: { ResultCode: '0' } });
    await register('v1', 'Completed');
    const before = await utility();
    const paid = await daraja.payBill(freshMsisdn(), {
      businessNumber: daraja.shortcode,
      accountNumber: 'A1',
      amount: 10,
      pin: '1234',
    });
    expect(paid.status).toBe('completed');
    await confirmationOf(paid.TransID);
    await register('v1', 'Cancelled');
    merchant.validation = () => ({ status: 503 });
    const cancelled = await daraja.payBill(freshMsisdn(), {
      businessNumber: daraja.shortcode,
      accountNumber: 'A2',
      amount: 10,
      pin: '1234',
    });
    expect(cancelled).toMatchObject({ status: 'cancelled', ResultCode: 'C2B00016' });
    expect(await utility()).toBe(before + 10);
  });

  it('v2 registration masks the MSISDN in validation and confirmation', async () => {
    await register('v2');
    const payer = freshMsisdn();
    const answer = await daraja.payBill(payer, { businessNumber: daraja.shortcode, accountNumber: 'V2', amount: 5, pin: '1234' });
    const confirmation = await confirmationOf(answer.TransID);
    expect(confirmation.MSISDN).toBe(`${payer.slice(0, 6)}***${payer.slice(-3)}`);
    await register('v1');
  });

  it('a wrong PIN, a bad amount, an unknown business number and a broke customer pay nothing', async () => {
    const before = await utility();
    const pay = (
      body: Partial<{ businessNumber: string; accountNumber: string; amount: string | number; pin: string }>,
      msisdn = freshMsisdn(),
    ) => daraja.payBill(msisdn, { businessNumber: daraja.shortcode, accountNumber: 'X', amount: 10, pin: '1234', ...body });
    expect(await pay({ pin: '0000' })).toMatchObject({ ResultCode: 2001 });
    expect(await pay({ amount: '10.50' })).toMatchObject({ ResultCode: 'C2B00013' });
    expect(await pay({ amount: 0 })).toMatchObject({ ResultCode: 'C2B00013' });
    expect(await pay({ businessNumber: '600000' })).toMatchObject({ ResultCode: 'C2B00015' });
    expect(await pay({ accountNumber: ' ' })).toMatchObject({ ResultCode: 'C2B00012' });
    expect(await pay({}, '254700000001')).toMatchObject({ ResultCode: '1' });
    expect(await utility()).toBe(before);
  });
});

describe('C2B simulate', () => {
  it('acknowledges, then validates, completes and confirms like a phone payment', async () => {
    await register('v1');
    const payer = freshMsisdn();
    const ack = await daraja.post('mpesa/c2b/v1/simulate', {
      ShortCode: daraja.shortcode,
      CommandID: 'CustomerPayBillOnline',
      Amount: '42',
      Msisdn: payer,
      BillRefNumber: 'SIM-1',
    });
    expect(ack.body).toEqual({
      OriginatorCoversationID: expect.any(String),
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    });
    await expect
      .poll(() => merchant.on('/confirmation').some((r) => r.body.BillRefNumber === 'SIM-1' && r.body.MSISDN === payer))
      .toBe(true);
    expect(merchant.on('/validation').some((r) => r.body.BillRefNumber === 'SIM-1')).toBe(true);
  });

  it('refuses a Paybill simulation without BillRefNumber and a fractional amount', async () => {
    const base = { ShortCode: daraja.shortcode, CommandID: 'CustomerPayBillOnline', Amount: 10, Msisdn: '254708374149' };
    expect((await daraja.post('mpesa/c2b/v1/simulate', base)).body.errorMessage).toBe('Bad Request - Invalid BillRefNumber');
    expect((await daraja.post('mpesa/c2b/v1/simulate', { ...base, BillRefNumber: 'x', Amount: 1.5 })).body.errorMessage).toBe(
      'Bad Request - Invalid Amount',
    );
    expect(
      (await daraja.post('mpesa/c2b/v1/simulate', { ...base, Msisdn: '0708374149', BillRefNumber: 'x' })).body.errorMessage,
    ).toBe('Bad Request - Invalid Msisdn');
  });
});

describe('Pull Transactions and the statement', () => {
  const query = (body: Record<string, unknown>) =>
    daraja.post('pulltransactions/v1/query', {
      ShortCode: daraja.shortcode,
      StartDate: nairobiNow(-3_600_000),
      EndDate: nairobiNow(60_000),
      OffSetValue: '0',
      ...body,
    });

  it('refuses a query before registration', async () => {
    const res = await query({});
    expect(res.status).toBe(400);
    expect(res.body.errorMessage).toMatch(/not registered for Pull Transactions/);
  });

  it('registers the shortcode', async () => {
    const res = await daraja.post('pulltransactions/v1/register', {
      ShortCode: daraja.shortcode,
      RequestType: 'Pull',
      NominatedNumber: '0722000000',
      CallBackURL: `${merchant.url}/pull`,
    });
    expect(res.body).toEqual({
      ResponseRefID: expect.any(String),
      ResponseStatus: '1000',
      ShortCode: daraja.shortcode,
      ResponseDescription: 'Shortcode Registered Successfully',
    });
    const bad = await daraja.post('pulltransactions/v1/register', {
      ShortCode: daraja.shortcode,
      RequestType: 'Push',
      NominatedNumber: '0722000000',
      CallBackURL: `${merchant.url}/pull`,
    });
    expect(bad.body.errorMessage).toBe('Bad Request - Invalid RequestType');
  });

  it('finds a payment whose confirmation never arrived, with reversals and payouts beside it', async () => {
    await register('v1');
    setMpesaFaults({ loseC2bConfirmation: true });
    const payer = freshMsisdn();
    const lost = await fund(daraja, 333, payer, 'LOST-1');
    await sleep(100);
    expect(merchant.on('/confirmation').some((r) => r.body.TransID === lost)).toBe(false);
    setMpesaFaults(null);
    const fields = await initiatorFields(daraja, merchant);
    const payout = await daraja.post('mpesa/b2c/v3/paymentrequest', b2cRequest(fields, daraja.shortcode, { Amount: 11 }));
    const payoutReceipt = (await resultFor(merchant, payout.body.ConversationID)).TransactionID;
    const reversed = await fund(daraja, 21, freshMsisdn(), 'REV-1');
    const reversal = await daraja.post('mpesa/reversal/v1/request', {
      Initiator: fields.initiator,
      SecurityCredential: fields.SecurityCredential,
      CommandID: 'TransactionReversal',
      TransactionID: reversed,
      Amount: 21,
      ReceiverParty: daraja.shortcode,
      RecieverIdentifierType: '11',
      ResultURL: fields.ResultURL,
      QueueTimeOutURL: fields.QueueTimeOutURL,
      Remarks: 'refund',
    });
    const reversalReceipt = (await resultFor(merchant, reversal.body.ConversationID)).TransactionID;
    const res = await query({});
    expect(res.body).toMatchObject({ ResponseCode: '1000', ResponseMessage: 'Success' });
    const rows = res.body.Response[0] as any[];
    expect(rows.find((r) => r.transactionId === lost)).toEqual({
      transactionId: lost,
      trxDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      msisdn: Number(payer),
      sender: payer,
      transactiontype: 'c2b-pay-bill-debit',
      billreference: 'LOST-1',
      amount: 333,
      organizationname: expect.any(String),
    });
    expect(rows.find((r) => r.transactionId === payoutReceipt)).toMatchObject({
      transactiontype: 'b2c-business-payment',
      amount: 11,
    });
    expect(rows.find((r) => r.transactionId === reversalReceipt)).toMatchObject({
      transactiontype: 'reversal',
      amount: 21,
      originalTransactionId: reversed,
    });
  });

  it('pages by OffSetValue and refuses a window older than 48 hours or a malformed date', async () => {
    const all = (await query({})).body.Response[0] as any[];
    expect(all.length).toBeGreaterThan(3);
    const page2 = (await query({ OffSetValue: 2 })).body.Response[0] as any[];
    expect(page2.map((r) => r.transactionId)).toEqual(all.slice(2).map((r) => r.transactionId));
    expect((await query({ StartDate: nairobiNow(-49 * 3_600_000) })).body.errorMessage).toMatch(/48 hours/);
    expect((await query({ StartDate: '2026-13-01 00:00:00' })).body.errorMessage).toBe('Bad Request - Invalid StartDate');
    const empty = await query({ StartDate: nairobiNow(30_000), EndDate: nairobiNow(60_000) });
    expect(empty.body).toMatchObject({ ResponseCode: '1000', ResponseMessage: 'No records found', Response: [[]] });
  });

  it('the statement CSV lists every movement with a running balance that ends at the account balance', async () => {
    expect((await daraja.get(`portal/shortcodes/${daraja.shortcode}/statement.csv`, null)).status).toBe(401);
    const res = await daraja.get(`portal/shortcodes/${daraja.shortcode}/statement.csv`);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...lines] = (await res.text()).trimEnd().split('\r\n');
    expect(header).toBe(
      'Receipt No.,Completion Time,Details,Transaction Status,Account,Paid In,Withdrawn,Balance,Reason Type,Other Party Info,A/C No.',
    );
    const utilityLines = lines.map((l) => l.split(',')).filter((c) => c[4] === 'utility');
    let running = 0;
    for (const cols of utilityLines) {
      running += Number(cols[5] || 0) + Number(cols[6] || 0);
      expect(Number(cols[7])).toBeCloseTo(running, 2);
    }
    expect(running).toBeCloseTo(await utility(), 2);
    expect(utilityLines.some((c) => c[8] === 'b2c')).toBe(true);
  });
});
