import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import {
  chooseRefundSource,
  computeFeeMinor,
  confirmRefund,
  defaultFeeSchedule,
  failRefund,
  recordAuthorizationCancel,
  recordCapture,
  recordRefund,
  settle,
  type RefundSource,
} from '@/lib/ledger';
import type { Currency } from '@/lib/money';
import { getBalances } from '@/lib/wallet';
import { assertLedgerInvariants, insertLedgerMerchant } from '@/tests/helpers/ledger-invariants';

/**
 * Random interleavings of partial captures, partial and concurrent refunds, refund outcomes,
 * cancels, settlements and redelivered events, in several currencies (JPY included). A minimal
 * model predicts every balance; the ledger invariants must hold after every run.
 */

const CURRENCIES: Currency[] = ['usd', 'jpy', 'kes'];

type Command =
  | { type: 'capture'; merchant: number; currency: number; authorizedMinor: number; capturePermille: number }
  | { type: 'cancel' }
  | { type: 'refund'; payment: number; permille: number }
  | { type: 'refundBurst'; payment: number; permille: number; count: number }
  | { type: 'refundOutcome'; refund: number; confirmed: boolean }
  | { type: 'settle'; merchant: number; currency: number; permille: number }
  | { type: 'redeliver'; index: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('capture' as const),
      merchant: fc.nat(1),
      currency: fc.nat(2),
      authorizedMinor: fc.integer({ min: 1, max: 200_000 }),
      capturePermille: fc.integer({ min: 1, max: 1000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'cancel' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('refund' as const),
      payment: fc.nat(),
      permille: fc.integer({ min: 1, max: 1100 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('refundBurst' as const),
      payment: fc.nat(),
      permille: fc.integer({ min: 100, max: 700 }),
      count: fc.integer({ min: 2, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('refundOutcome' as const), refund: fc.nat(), confirmed: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('settle' as const),
      merchant: fc.nat(1),
      currency: fc.nat(2),
      permille: fc.integer({ min: 1, max: 1200 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('redeliver' as const), index: fc.nat() }) },
);

interface ModelPayment {
  id: string;
  merchantId: string;
  currency: Currency;
  capturedMinor: number;
  refundedMinor: number;
}

interface ModelRefund {
  id: string;
  payment: ModelPayment;
  amountMinor: number;
  source: RefundSource;
  open: boolean;
}

class Model {
  readonly wallets = new Map<string, { availableMinor: number; pendingMinor: number }>();
  readonly payments: ModelPayment[] = [];
  readonly refunds: ModelRefund[] = [];
  /** Calls that succeeded, to redeliver verbatim: a repeat must change nothing. */
  readonly delivered: Array<() => Promise<{ created: boolean }>> = [];

  wallet(merchantId: string, currency: Currency) {
    const key = `${merchantId}:${currency}`;
    let w = this.wallets.get(key);
    if (!w) this.wallets.set(key, (w = { availableMinor: 0, pendingMinor: 0 }));
    return w;
  }
}

function permilleOf(amountMinor: number, permille: number): number {
  return Math.max(1, Math.floor((amountMinor * permille) / 1000));
}

async function expectRefused(promise: Promise<unknown>, codes: string[]): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(codes).toContain((err as AppError).code);
}

async function run(model: Model, merchants: string[], command: Command): Promise<void> {
  const db = getDb();
  switch (command.type) {
    case 'capture': {
      const merchantId = merchants[command.merchant]!;
      const currency = CURRENCIES[command.currency]!;
      const amountMinor = permilleOf(command.authorizedMinor, command.capturePermille); // partial capture
      const input = {
        eventId: newId('event'),
        merchantId,
        paymentIntentId: newId('paymentIntent'),
        currency,
        psp: 'sandbox_card',
        amountMinor,
      };
      expect((await recordCapture(db, input)).created).toBe(true);
      model.delivered.push(() => recordCapture(db, input));
      model.payments.push({ id: input.paymentIntentId, merchantId, currency, capturedMinor: amountMinor, refundedMinor: 0 });
      model.wallet(merchantId, currency).pendingMinor += amountMinor - computeFeeMinor(amountMinor, defaultFeeSchedule(currency));
      return;
    }
    case 'cancel':
      expect(recordAuthorizationCancel()).toBeNull();
      return;
    case 'refund':
    case 'refundBurst': {
      const payment = model.payments[command.payment % Math.max(model.payments.length, 1)];
      if (!payment) return;
      const amountMinor = permilleOf(payment.capturedMinor, command.permille);
      const count = command.type === 'refundBurst' ? command.count : 1;
      const inputs = Array.from({ length: count }, () => ({
        eventId: newId('event'),
        refundId: newId('refund'),
        merchantId: payment.merchantId,
        paymentIntentId: payment.id,
        currency: payment.currency,
        amountMinor,
      }));
      // Identical amounts: whichever order the database serializes them in, the same number fit.
      let expectedOk = 0;
      const wallet = model.wallet(payment.merchantId, payment.currency);
      const sources: RefundSource[] = [];
      for (let i = 0; i < count; i++) {
        const source = chooseRefundSource({ ...wallet, overdraftLimitMinor: 0 }, amountMinor);
        if (amountMinor > payment.capturedMinor - payment.refundedMinor || !source) continue;
        expectedOk++;
        payment.refundedMinor += amountMinor;
        if (source === 'merchant_available') wallet.availableMinor -= amountMinor;
        else wallet.pendingMinor -= amountMinor;
        sources.push(source);
      }
      const results = await Promise.allSettled(inputs.map((input) => recordRefund(db, input)));
      results.forEach((r, i) => {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(AppError);
          expect(['amount_too_large', 'insufficient_balance']).toContain((r.reason as AppError).code);
          return;
        }
        const input = inputs[i]!;
        model.delivered.push(() => recordRefund(db, input));
      });
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(expectedOk);
      // Which refund took which source is decided by the database's order: read it back.
      for (const [i, r] of results.entries()) {
        if (r.status !== 'fulfilled') continue;
        model.refunds.push({
          id: inputs[i]!.refundId,
          payment,
          amountMinor,
          source: await refundSource(inputs[i]!.refundId),
          open: true,
        });
      }
      return;
    }
    case 'refundOutcome': {
      const refund = model.refunds[command.refund % Math.max(model.refunds.length, 1)];
      if (!refund) return;
      const input = { refundId: refund.id, eventId: newId('event') };
      if (!refund.open) {
        await expectRefused(command.confirmed ? confirmRefund(db, input) : failRefund(db, input), [
          'payment_intent_unexpected_state',
        ]);
        return;
      }
      refund.open = false;
      if (command.confirmed) {
        await confirmRefund(db, input);
        model.delivered.push(() => confirmRefund(db, input));
        return;
      }
      await failRefund(db, input);
      model.delivered.push(() => failRefund(db, input));
      refund.payment.refundedMinor -= refund.amountMinor;
      const wallet = model.wallet(refund.payment.merchantId, refund.payment.currency);
      if (refund.source === 'merchant_available') wallet.availableMinor += refund.amountMinor;
      else wallet.pendingMinor += refund.amountMinor;
      return;
    }
    case 'settle': {
      const merchantId = merchants[command.merchant]!;
      const currency = CURRENCIES[command.currency]!;
      const wallet = model.wallet(merchantId, currency);
      const amountMinor = Math.max(1, Math.floor((Math.max(wallet.pendingMinor, 1) * command.permille) / 1000));
      const input = { eventId: newId('event'), merchantId, currency, amountMinor };
      if (amountMinor > wallet.pendingMinor) {
        await expectRefused(settle(db, input), ['insufficient_balance']);
        return;
      }
      await settle(db, input);
      model.delivered.push(() => settle(db, input));
      wallet.pendingMinor -= amountMinor;
      wallet.availableMinor += amountMinor;
      return;
    }
    case 'redeliver': {
      const again = model.delivered[command.index % Math.max(model.delivered.length, 1)];
      if (again) expect((await again()).created).toBe(false);
      return;
    }
  }
}

async function refundSource(refundId: string): Promise<RefundSource> {
  const rows = await getDb().execute<{ kind: RefundSource }>(
    // the refund posting's debit line names the balance it was taken from
    sql`select a.kind from journal_transactions t join journal_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
         where t.refund_id = ${refundId} and t.kind = 'refund' and e.amount_minor > 0`,
  );
  return rows[0]!.kind;
}

async function expectBalancesMatch(model: Model, merchants: string[]): Promise<void> {
  for (const merchantId of merchants) {
    // A wallet that never moved money may or may not have rows yet: compare the non-zero ones.
    const nonZero = (b: { availableMinor: number; pendingMinor: number }) => b.availableMinor !== 0 || b.pendingMinor !== 0;
    const actual = (await getBalances(merchantId)).filter(nonZero);
    const expected = CURRENCIES.flatMap((currency) => {
      const w = model.wallets.get(`${merchantId}:${currency}`);
      return w ? [{ currency, ...w }] : [];
    })
      .filter(nonZero)
      .sort((a, b) => a.currency.localeCompare(b.currency));
    expect(actual).toEqual(expected);
  }
}

describe('ledger under random interleavings', () => {
  it('keeps every invariant and matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 5, maxLength: 40 }), async (commands) => {
        const merchants = [await insertLedgerMerchant(), await insertLedgerMerchant()];
        const model = new Model();
        for (const command of commands) await run(model, merchants, command);
        await expectBalancesMatch(model, merchants);
        await assertLedgerInvariants();
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
