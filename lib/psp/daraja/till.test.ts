import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/env';
import { c2bBodySchema } from './paybill';
import { isOurTillShortcode, isTillC2b, isTillReceipt, tillValidationAnswer } from './till';

const body = (fields: Record<string, unknown>) =>
  c2bBodySchema.parse({
    TransID: 'UL7I5WHR8Z',
    TransAmount: '650.00',
    BusinessShortCode: '174379',
    MSISDN: '254712345678',
    ...fields,
  });

beforeEach(() => {
  process.env.DARAJA_SHORTCODE = '174379';
  process.env.DARAJA_TILL_NUMBER = '5566778';
  resetEnvCache();
});
afterEach(() => {
  delete process.env.DARAJA_SHORTCODE;
  delete process.env.DARAJA_TILL_NUMBER;
  resetEnvCache();
});

describe('a Buy Goods (till) C2B request', () => {
  it('is told from a Pay Bill one by its TransactionType, or by having no account number', () => {
    expect(isTillC2b(body({ TransactionType: 'Buy Goods', BillRefNumber: '' }))).toBe(true);
    expect(isTillC2b(body({ TransactionType: 'CustomerBuyGoodsOnline' }))).toBe(true);
    expect(isTillC2b(body({ TransactionType: 'Pay Bill', BillRefNumber: 'PKABC234' }))).toBe(false);
    expect(isTillC2b(body({ TransactionType: 'Pay Bill', BillRefNumber: '' }))).toBe(false);
    expect(isTillC2b(body({ BillRefNumber: '' }))).toBe(true);
    expect(isTillC2b(body({ BillRefNumber: 'PKABC234' }))).toBe(false);
  });

  it('names our till by its store or the till itself, nothing else', () => {
    expect(isOurTillShortcode('174379')).toBe(true);
    expect(isOurTillShortcode('5566778')).toBe(true);
    expect(isOurTillShortcode('600000')).toBe(false);
    delete process.env.DARAJA_TILL_NUMBER;
    resetEnvCache();
    expect(isOurTillShortcode('174379')).toBe(false);
  });

  it("is answered with Daraja's documented result codes", () => {
    const till = body({ TransactionType: 'Buy Goods' });
    expect(tillValidationAnswer(till, { kind: 'one', payable: true })).toEqual({ ResultCode: '0', ResultDesc: 'Accepted' });
    expect(tillValidationAnswer(till, { kind: 'none_for_phone' }).ResultCode).toBe('C2B00011');
    expect(tillValidationAnswer(till, { kind: 'bad_msisdn' }).ResultCode).toBe('C2B00011');
    expect(tillValidationAnswer(till, { kind: 'other_amount' }).ResultCode).toBe('C2B00013');
    expect(tillValidationAnswer(till, { kind: 'ambiguous' }).ResultCode).toBe('C2B00016');
    expect(tillValidationAnswer(till, { kind: 'one', payable: false }).ResultCode).toBe('C2B00016');
    expect(tillValidationAnswer(body({ BusinessShortCode: '600000' }), { kind: 'one', payable: true }).ResultCode).toBe(
      'C2B00015',
    );
  });

  it('is a Buy Goods receipt in Pull Transactions only without a bill reference', () => {
    const m = {
      transactionId: 'X',
      trxDate: '',
      msisdn: '254712345678',
      sender: '',
      billReference: '',
      amountMinor: 100,
      organizationName: '',
    };
    expect(isTillReceipt({ ...m, transactionType: 'c2b-buy-goods-debit' })).toBe(true);
    expect(isTillReceipt({ ...m, transactionType: 'c2b-buy-goods-debit', billReference: 'Shop' })).toBe(false);
    expect(isTillReceipt({ ...m, transactionType: 'c2b-pay-bill-debit' })).toBe(false);
  });
});
