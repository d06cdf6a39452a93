import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { createBatchingPoster, recordCapture, recordRefund, settle } from '@/lib/ledger';
import { getBalances } from '@/lib/wallet';
import { assertLedgerInvariants, insertLedgerMerchant } from '@/tests/helpers/ledger-invariants';

async function countPostings(where: { eventId?: string; paymentIntentId?: string; kind: string }): Promise<number> {
  const rows = await getDb().execute<{ n: number }>(sql`
    select count(*)::int as n from journal_transactions
     where kind = ${where.kind}
       and (${where.eventId ?? null}::text is null or event_id = ${where.eventId ?? null})
       and (${where.paymentIntentId ?? null}::text is null or payment_intent_id = ${where.paymentIntentId ?? null})`);
  return rows[0]?.n ?? 0;
}

describe('concurrent refunds of one payment', () => {
  it('lets at most one of 20 parallel refunds of 60% through, checked against captured - refunded', async () => {
    const merchantId = await insertLedgerMerchant();
    const paymentIntentId = newId('paymentIntent');
    await recordCapture(getDb(), {
      eventId: newId('event'),
      merchantId,
      paymentIntentId,
      currency: 'usd',
      psp: 'sandbox_card',
      amountMinor: 100_000,
    });
    // Plenty of balance from other payments, so only the payment's refundable amount can stop them.
    await recordCapture(getDb(), {
      eventId: newId('event'),
      merchantId,
      paymentIntentId: newId('paymentIntent'),
      currency: 'usd',
      psp: 'sandbox_card',
      amountMinor: 5_000_000,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        recordRefund(getDb(), {
          eventId: newId('event'),
          refundId: newId('refund'),
          merchantId,
          paymentIntentId,
          currency: 'usd',
          amountMinor: 60_000,
        }),
      ),
    );
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect((r.reason as AppError).code).toBe('amount_too_large');
    }
    expect(await countPostings({ paymentIntentId, kind: 'refund' })).toBe(1);
    await assertLedgerInvariants();
  });

  it('refuses refunds the wallet cannot cover when they race for the same balance', async () => {
    const merchantId = await insertLedgerMerchant();
    const payments = Array.from({ length: 10 }, () => newId('paymentIntent'));
    for (const paymentIntentId of payments) {
      await recordCapture(getDb(), {
        eventId: newId('event'),
        merchantId,
        paymentIntentId,
        currency: 'eur',
        psp: 'sandbox_card',
        amountMinor: 10_000,
      });
    }
    // pending = 10 * (10,000 - 320) = 96,800: ten parallel full refunds cannot all fit.
    const results = await Promise.allSettled(
      payments.map((paymentIntentId) =>
        recordRefund(getDb(), {
          eventId: newId('event'),
          refundId: newId('refund'),
          merchantId,
          paymentIntentId,
          currency: 'eur',
          amountMinor: 10_000,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(9);
    const [balance] = await getBalances(merchantId);
    expect(balance).toEqual({ currency: 'eur', availableMinor: 0, pendingMinor: 96_800 - 90_000 });
    await assertLedgerInvariants();
  });
});

describe('duplicate events delivered concurrently', () => {
  it('posts a capture once', async () => {
    const merchantId = await insertLedgerMerchant();
    const input = {
      eventId: newId('event'),
      merchantId,
      paymentIntentId: newId('paymentIntent'),
      currency: 'gbp' as const,
      psp: 'sandbox_card',
      amountMinor: 7_000,
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => recordCapture(getDb(), input)));
    expect(new Set(results.map((r) => r.journalTransactionId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await countPostings({ eventId: input.eventId, kind: 'capture' })).toBe(1);
    await assertLedgerInvariants();
  });

  it('posts a refund once, even though each delivery checks the balance', async () => {
    const merchantId = await insertLedgerMerchant();
    const paymentIntentId = newId('paymentIntent');
    await recordCapture(getDb(), {
      eventId: newId('event'),
      merchantId,
      paymentIntentId,
      currency: 'usd',
      psp: 'sandbox_card',
      amountMinor: 10_000,
    });
    const refund = {
      eventId: newId('event'),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId,
      currency: 'usd' as const,
      amountMinor: 9_000,
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => recordRefund(getDb(), refund)));
    expect(new Set(results.map((r) => r.journalTransactionId)).size).toBe(1);
    expect(await countPostings({ eventId: refund.eventId, kind: 'refund' })).toBe(1);
    await assertLedgerInvariants();
  });

  it('posts a settlement once', async () => {
    const merchantId = await insertLedgerMerchant();
    await recordCapture(getDb(), {
      eventId: newId('event'),
      merchantId,
      paymentIntentId: newId('paymentIntent'),
      currency: 'jpy',
      psp: 'sandbox_card',
      amountMinor: 10_000,
    });
    const input = { eventId: newId('event'), merchantId, currency: 'jpy' as const, amountMinor: 9_000 };
    const results = await Promise.all(Array.from({ length: 8 }, () => settle(getDb(), input)));
    expect(new Set(results.map((r) => r.journalTransactionId)).size).toBe(1);
    expect(await getBalances(merchantId)).toEqual([
      { currency: 'jpy', availableMinor: 9_000, pendingMinor: 10_000 - 360 - 9_000 },
    ]);
    await assertLedgerInvariants();
  });

  it('group-commits concurrent captures into one hot merchant, duplicates included, with exact balances', async () => {
    const merchantId = await insertLedgerMerchant();
    const poster = createBatchingPoster(getDb(), { maxInFlightBatches: 2 });
    const events = Array.from({ length: 200 }, (_, i) => ({
      eventId: `evt_hot_${merchantId}_${i % 150}`,
      amountMinor: 1_000 + (i % 150),
    }));
    const results = await Promise.all(
      events.map((e) =>
        recordCapture(
          getDb(),
          { ...e, merchantId, paymentIntentId: `pi_${e.eventId}`, currency: 'usd', psp: 'sandbox_card' },
          { poster },
        ),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(150);
    const expectedPending = Array.from({ length: 150 }, (_, i) => 1_000 + i).reduce(
      (sum, a) => sum + a - (Math.floor((a * 290 + 5_000) / 10_000) + 30),
      0,
    );
    expect(await getBalances(merchantId)).toEqual([{ currency: 'usd', availableMinor: 0, pendingMinor: expectedPending }]);
    await assertLedgerInvariants();
  });
});
