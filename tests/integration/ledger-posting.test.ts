import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDb, getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import {
  confirmRefund,
  failRefund,
  recordAuthorizationCancel,
  recordCapture,
  recordRefund,
  reverse,
  setFeeSchedule,
  settle,
} from '@/lib/ledger';
import { getBalances, setOverdraftLimit } from '@/lib/wallet';
import { ownerDatabaseUrl } from '@/tests/helpers/database-roles';
import { assertLedgerInvariants, insertLedgerMerchant } from '@/tests/helpers/ledger-invariants';

const evt = () => newId('event');
const pi = () => newId('paymentIntent');

async function capture(merchantId: string, amountMinor: number, currency: 'usd' | 'jpy' = 'usd', paymentIntentId = pi()) {
  await recordCapture(getDb(), { eventId: evt(), merchantId, paymentIntentId, currency, psp: 'sandbox_card', amountMinor });
  return paymentIntentId;
}

async function balance(merchantId: string, currency = 'usd') {
  const all = await getBalances(merchantId);
  return all.find((b) => b.currency === currency) ?? { currency, availableMinor: 0, pendingMinor: 0 };
}

async function expectAppError(promise: Promise<unknown>, code: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
}

/** Drizzle wraps the driver's error; the database's message is on `cause`. */
async function expectDbError(promise: Promise<unknown>, pattern: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the database to refuse').toBeInstanceOf(Error);
  const cause = (err as Error).cause;
  expect(cause instanceof Error ? cause.message : (err as Error).message).toMatch(pattern);
}

let merchantId: string;
beforeEach(async () => {
  merchantId = await insertLedgerMerchant();
});

describe('capture', () => {
  it('credits gross to pending and takes the default fee (2.9% + 30) to fee revenue', async () => {
    const paymentIntentId = await capture(merchantId, 10_000);
    expect(await balance(merchantId)).toEqual({ currency: 'usd', availableMinor: 0, pendingMinor: 10_000 - 320 });
    const lines = await getDb().execute<{ account_id: string; amount_minor: string }>(sql`
      select e.account_id, e.amount_minor::text from journal_entries e join journal_transactions t on t.id = e.transaction_id
       where t.payment_intent_id = ${paymentIntentId} order by e.amount_minor`);
    expect(lines.map((l) => [l.account_id.split('.')[0], Number(l.amount_minor)])).toEqual([
      ['acct_merchant_pending', -10_000],
      ['acct_fee_revenue', -320],
      ['acct_merchant_pending', 320],
      ['acct_psp_clearing', 10_000],
    ]);
    await assertLedgerInvariants();
  });

  it('uses 3.6% + 0 for JPY and the merchant schedule when one is set', async () => {
    await capture(merchantId, 10_001, 'jpy'); // 360.036 -> 360
    expect((await balance(merchantId, 'jpy')).pendingMinor).toBe(10_001 - 360);
    await setFeeSchedule(getDb(), merchantId, 'usd', { percentBps: 150, fixedMinor: 0 });
    await capture(merchantId, 1_033); // 15.495 -> 15 (half up would need .5): 1033 * 150 = 154950 -> 15.495 -> 15
    await capture(merchantId, 1_100); // 16.5 -> 17
    expect((await balance(merchantId)).pendingMinor).toBe(1_033 - 15 + 1_100 - 17);
    await assertLedgerInvariants();
  });

  it('posts an event once: a duplicate is a no-op that returns the first posting', async () => {
    const input = {
      eventId: evt(),
      merchantId,
      paymentIntentId: pi(),
      currency: 'usd' as const,
      psp: 'sandbox_card',
      amountMinor: 5_000,
    };
    const first = await recordCapture(getDb(), input);
    const second = await recordCapture(getDb(), input);
    expect(first.created).toBe(true);
    expect(second).toEqual({ journalTransactionId: first.journalTransactionId, created: false });
    expect((await balance(merchantId)).pendingMinor).toBe(5_000 - 175);
    await assertLedgerInvariants();
  });

  it('posts nothing when an authorization is cancelled', async () => {
    expect(recordAuthorizationCancel()).toBeNull();
    const [row] = await getDb().execute<{ n: number }>(
      sql`select count(*)::int as n from journal_transactions where merchant_id = ${merchantId}`,
    );
    expect(row?.n).toBe(0);
  });
});

describe('database guards', () => {
  it('refuses UPDATE and DELETE on entries and journal transactions, even to the owner', async () => {
    await capture(merchantId, 2_000);
    // The app role lacks these privileges (tests/security/db-role.test.ts); the triggers hold for the owner too.
    const { sql: ownerSql, db } = createDb(ownerDatabaseUrl(), { max: 1 });
    try {
      await expectDbError(db.execute(sql`update journal_entries set amount_minor = amount_minor + 1`), /append-only/);
      await expectDbError(db.execute(sql`delete from journal_entries`), /append-only/);
      await expectDbError(db.execute(sql`update journal_transactions set kind = 'refund'`), /append-only/);
      await expectDbError(db.execute(sql`delete from journal_transactions`), /append-only/);
      await expectDbError(db.execute(sql`truncate journal_entries cascade`), /append-only/);
    } finally {
      await ownerSql.end();
    }
  });

  it('refuses an unbalanced transaction, a one-entry transaction and lines appended to an old one', async () => {
    const existing = await capture(merchantId, 2_000);
    const db = getDb();
    const acct = `acct_merchant_pending.${merchantId}.usd`;
    const unbalanced = db.transaction(async (tx) => {
      await tx.execute(
        sql`insert into journal_transactions (id, kind, event_id, currency) values ('jtx_x1', 'reversal', 'evt_x1', 'usd')`,
      );
      await tx.execute(sql`insert into journal_entries (id, transaction_id, account_id, currency, amount_minor)
        values ('je_x1', 'jtx_x1', ${acct}, 'usd', 100), ('je_x2', 'jtx_x1', ${acct}, 'usd', -99)`);
    });
    await expectDbError(unbalanced, /does not balance/);
    const empty = db.execute(
      sql`insert into journal_transactions (id, kind, event_id, currency) values ('jtx_x2', 'reversal', 'evt_x2', 'usd')`,
    );
    await expectDbError(empty, /two or more/);
    const [old] = await db.execute<{ id: string }>(
      sql`select id from journal_transactions where payment_intent_id = ${existing}`,
    );
    const appended = db.execute(sql`insert into journal_entries (id, transaction_id, account_id, currency, amount_minor)
      values ('je_x3', ${old!.id}, ${acct}, 'usd', 5)`);
    await expectDbError(appended, /does not balance/);
    const ghost = db.transaction(async (tx) => {
      await tx.execute(
        sql`insert into journal_transactions (id, kind, event_id, currency) values ('jtx_x3', 'reversal', 'evt_x3', 'usd')`,
      );
      await tx.execute(sql`insert into journal_entries (id, transaction_id, account_id, currency, amount_minor)
        values ('je_x4', 'jtx_x3', 'acct_nope', 'usd', 5), ('je_x5', 'jtx_x3', ${acct}, 'usd', -5)`);
    });
    await expectDbError(ghost, /does not exist/);
    await assertLedgerInvariants();
  });
});

describe('refunds', () => {
  it('takes a refund from pending before settlement and from available after it; the fee is not returned', async () => {
    const p1 = await capture(merchantId, 10_000); // pending 9680
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 4_000,
    });
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 5_680, availableMinor: 0 });
    await settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 5_680 });
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 0, availableMinor: 5_680 });
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 5_000,
    });
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 0, availableMinor: 680 });
    await expectAppError(
      recordRefund(getDb(), {
        eventId: evt(),
        refundId: newId('refund'),
        merchantId,
        paymentIntentId: p1,
        currency: 'usd',
        amountMinor: 1_001,
      }),
      'amount_too_large',
    );
    await assertLedgerInvariants();
  });

  it('refuses a refund the balance cannot cover, with no partial effects, unless an overdraft allows it', async () => {
    const p1 = await capture(merchantId, 1_000); // pending 941
    const refund = {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd' as const,
      amountMinor: 1_000,
    };
    await expectAppError(recordRefund(getDb(), refund), 'insufficient_balance');
    const [count] = await getDb().execute<{ n: number }>(
      sql`select count(*)::int as n from journal_transactions where kind = 'refund' and merchant_id = ${merchantId}`,
    );
    expect(count?.n).toBe(0);
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 941, availableMinor: 0 });
    await setOverdraftLimit(getDb(), merchantId, 'usd', 1_000);
    await recordRefund(getDb(), refund);
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 941, availableMinor: -1_000 });
    await assertLedgerInvariants();
  });

  it('confirms through PSP clearing, or returns the money when the PSP fails the refund', async () => {
    const p1 = await capture(merchantId, 10_000);
    const [r1, r2] = [newId('refund'), newId('refund')];
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: r1,
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 3_000,
    });
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: r2,
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 2_000,
    });
    const confirmEvent = evt();
    await confirmRefund(getDb(), { refundId: r1, eventId: confirmEvent });
    expect((await confirmRefund(getDb(), { refundId: r1, eventId: confirmEvent })).created).toBe(false);
    await failRefund(getDb(), { refundId: r2, eventId: evt() });
    await expectAppError(confirmRefund(getDb(), { refundId: r2, eventId: evt() }), 'payment_intent_unexpected_state');
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 9_680 - 3_000 });
    // r2 failed, so its 2,000 is refundable again: 10,000 - 3,000
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 6_680,
    });
    await assertLedgerInvariants();
  });
});

describe('settlement', () => {
  it('refuses to settle more than pending', async () => {
    await capture(merchantId, 1_000);
    await expectAppError(
      settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 942 }),
      'insufficient_balance',
    );
    await settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 941 });
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 0, availableMinor: 941 });
    await assertLedgerInvariants();
  });
});

describe('corrections', () => {
  it('reverses a settlement once with opposite entries; a capture is corrected by a refund instead', async () => {
    const p1 = await capture(merchantId, 10_000);
    const settlement = await settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 9_000 });
    const reversalEvent = evt();
    const reversal = await reverse(getDb(), { journalTransactionId: settlement.journalTransactionId, eventId: reversalEvent });
    expect(reversal.created).toBe(true);
    expect(await reverse(getDb(), { journalTransactionId: settlement.journalTransactionId, eventId: reversalEvent })).toEqual({
      ...reversal,
      created: false,
    });
    await expectAppError(
      reverse(getDb(), { journalTransactionId: settlement.journalTransactionId, eventId: evt() }),
      'already_reversed',
    );
    expect(await balance(merchantId)).toMatchObject({ pendingMinor: 9_680, availableMinor: 0 });
    const [captureTx] = await getDb().execute<{ id: string }>(
      sql`select id from journal_transactions where payment_intent_id = ${p1} and kind = 'capture'`,
    );
    await expectAppError(reverse(getDb(), { journalTransactionId: captureTx!.id, eventId: evt() }), 'parameter_invalid');
    await assertLedgerInvariants();
  });

  it('refuses a reversal that would overdraw the wallet', async () => {
    const p1 = await capture(merchantId, 10_000);
    const settlement = await settle(getDb(), { eventId: evt(), merchantId, currency: 'usd', amountMinor: 9_000 });
    await recordRefund(getDb(), {
      eventId: evt(),
      refundId: newId('refund'),
      merchantId,
      paymentIntentId: p1,
      currency: 'usd',
      amountMinor: 8_000,
    });
    await expectAppError(
      reverse(getDb(), { journalTransactionId: settlement.journalTransactionId, eventId: evt() }),
      'insufficient_balance',
    );
    await assertLedgerInvariants();
  });
});
