import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { BALANCE_SHARDS, merchantPending, recordCapture, recordRefund, settle } from '@/lib/ledger';
import { getBalances, listBalanceTransactions, setOverdraftLimit } from '@/lib/wallet';
import { assertLedgerInvariants, insertLedgerMerchant } from '@/tests/helpers/ledger-invariants';

const evt = () => newId('event');

async function capture(merchantId: string, amountMinor: number, currency: 'usd' | 'jpy' | 'kes' = 'usd') {
  const paymentIntentId = newId('paymentIntent');
  await recordCapture(getDb(), { eventId: evt(), merchantId, paymentIntentId, currency, psp: 'sandbox_card', amountMinor });
  return paymentIntentId;
}

let merchantId: string;
beforeEach(async () => {
  merchantId = await insertLedgerMerchant();
});

describe('getBalances', () => {
  it('reports available and pending per currency, summing every shard', async () => {
    for (let i = 0; i < 40; i++) await capture(merchantId, 1_000);
    await capture(merchantId, 5_000, 'jpy');
    await capture(merchantId, 2_000, 'kes');
    const [shards] = await getDb().execute<{ n: number }>(
      sql`select count(*)::int as n from ledger_balances where account_id = ${merchantPending(merchantId, 'usd').id}`,
    );
    expect(shards!.n).toBeGreaterThan(1); // 40 postings landed on several shards
    expect(shards!.n).toBeLessThanOrEqual(BALANCE_SHARDS);
    expect(await getBalances(merchantId)).toEqual([
      { currency: 'jpy', availableMinor: 0, pendingMinor: 5_000 - 180 },
      { currency: 'kes', availableMinor: 0, pendingMinor: 2_000 - 88 },
      { currency: 'usd', availableMinor: 0, pendingMinor: 40 * (1_000 - 59) },
    ]);
    expect(await getBalances(await insertLedgerMerchant())).toEqual([]);
    await assertLedgerInvariants();
  });

  it('lets the available balance go negative only down to the overdraft limit', async () => {
    const p1 = await capture(merchantId, 10_000); // pending 9,680
    await settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 680 });
    await setOverdraftLimit(getDb(), merchantId, 'usd', 500);
    // 9,600 fits neither available (680) nor pending (9,000), and 680 + 500 < 9,600
    const refused = await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 9_600,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('insufficient_balance');
    expect((refused as AppError).status).toBe(402);
    // pending covers 1,100, so pending pays before any overdraft is used
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 1_100,
    });
    expect(await getBalances(merchantId)).toEqual([{ currency: 'usd', availableMinor: 680, pendingMinor: 7_900 }]);
    await setOverdraftLimit(getDb(), merchantId, 'usd', 8_000);
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 8_600,
    });
    expect(await getBalances(merchantId)).toEqual([{ currency: 'usd', availableMinor: 680 - 8_600, pendingMinor: 7_900 }]);
    await assertLedgerInvariants();
  });
});

describe('listBalanceTransactions', () => {
  it('lists lines newest first with amount, fee, net, source and running balance, paginated', async () => {
    const p1 = await capture(merchantId, 10_000);
    const refundId = newId('refund');
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId,
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 1_000,
    });
    await settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 8_000 });
    await capture(await insertLedgerMerchant(), 5_000); // another merchant's line never shows

    const page1 = await listBalanceTransactions(merchantId, { limit: 2 });
    expect(page1.hasMore).toBe(true);
    expect(page1.data.map((l) => [l.type, l.amountMinor, l.feeMinor, l.netMinor, l.balanceAfterMinor])).toEqual([
      ['settlement', 0, 0, 0, 8_680],
      ['refund', -1_000, 0, -1_000, 8_680],
    ]);
    expect(page1.data[0]).toMatchObject({ pendingDeltaMinor: -8_000, availableDeltaMinor: 8_000 });
    expect(page1.data[1]?.source).toMatchObject({ paymentIntentId: p1, refundId });
    const page2 = await listBalanceTransactions(merchantId, { limit: 2, starting_after: page1.data[1]!.id });
    expect(page2.hasMore).toBe(false);
    expect(page2.data.map((l) => [l.type, l.amountMinor, l.feeMinor, l.netMinor, l.balanceAfterMinor])).toEqual([
      ['capture', 10_000, 320, 9_680, 9_680],
    ]);
  });

  it('keeps a running balance per currency and refuses a cursor from another merchant', async () => {
    await capture(merchantId, 1_000, 'usd');
    await capture(merchantId, 1_000, 'jpy');
    await capture(merchantId, 2_000, 'usd');
    const { data } = await listBalanceTransactions(merchantId, { limit: 10 });
    expect(data.map((l) => [l.currency, l.balanceAfterMinor])).toEqual([
      ['usd', 941 + 1_912],
      ['jpy', 964],
      ['usd', 941],
    ]);
    const other = await insertLedgerMerchant();
    const err = await listBalanceTransactions(other, { starting_after: data[0]!.id }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('resource_missing');
  });
});
