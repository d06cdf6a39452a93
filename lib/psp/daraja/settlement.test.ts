import { describe, expect, it } from 'vitest';
import { PspError } from '@/lib/psp/types';
import type { PullTransaction } from './org-client';
import { darajaSettlementFile, reportLineOf } from './settlement';

const pulled = (over: Partial<PullTransaction>): PullTransaction => ({
  transactionId: 'UL5XPBZY5W',
  trxDate: '2026-12-02 03:45:41',
  msisdn: '254734103002',
  sender: '254734103002',
  transactionType: 'c2b-pay-bill-debit',
  billReference: 'PKAB23CD',
  amountMinor: 43_000,
  organizationName: 'Sandbox Merchant',
  ...over,
});

describe('M-Pesa Pull Transactions as settlement lines', () => {
  it('a C2B receipt is a charge: the receipt is line id and reference, the phone travels with it, booked in Nairobi time', () => {
    expect(reportLineOf(pulled({}))).toEqual({
      lineId: 'UL5XPBZY5W',
      type: 'charge',
      pspReference: 'UL5XPBZY5W',
      merchantReference: 'PKAB23CD',
      grossMinor: 43_000,
      feeMinor: 0,
      netMinor: 43_000,
      currency: 'kes',
      // 03:45:41 in Nairobi (UTC+3) is 00:45:41 UTC: the same UTC day, not the one before
      bookedAt: new Date('2026-12-02T00:45:41Z'),
      availableOn: new Date('2026-12-02T00:45:41Z'),
      payoutBatchId: null,
      phone: '254734103002',
    });
    expect(reportLineOf(pulled({ transactionType: 'c2b-buy-goods-debit' }))?.type).toBe('charge');
  });

  it('reversals and B2C payouts are money given back: refunds with a negative gross', () => {
    for (const transactionType of ['reversal', 'b2c-business-payment']) {
      expect(reportLineOf(pulled({ transactionType, transactionId: 'UL8ETFNSRU', amountMinor: 43_000 }))).toMatchObject({
        type: 'refund',
        pspReference: 'UL8ETFNSRU',
        grossMinor: -43_000,
        netMinor: -43_000,
      });
    }
  });

  it('other movements are not booked, and a line without a valid date is a bad answer', () => {
    expect(reportLineOf(pulled({ transactionType: 'salary-payment' }))).toBeNull();
    expect(() => reportLineOf(pulled({ trxDate: '02/12/2026 03:45' }))).toThrow(PspError);
  });

  it('a day older than Pull Transactions keeps (48 hours) is refused before asking Daraja', async () => {
    const deps = {
      client: () => {
        throw new Error('Daraja must not be asked');
      },
      c2bUrls: () => ({ validationUrl: 'http://x/v', confirmationUrl: 'http://x/c', pullCallbackUrl: 'http://x/p' }),
    };
    await expect(darajaSettlementFile(deps, '2026-11-29', new Date('2026-12-02T06:00:00Z'))).rejects.toThrow(/48 hours/);
  });
});
