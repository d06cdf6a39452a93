import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentDisputes } from '@/db/schema';
import { newId } from '@/lib/ids';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { createTestMerchant } from '../helpers/test-app';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());

/** A merchant of its own (lists start empty) and the official SDK with its key. */
async function merchant() {
  const m = await createTestMerchant();
  return { id: m.merchant.id, stripe: s.client(m.secretKey) };
}

async function paid(stripe: Stripe, amount = 10_000, currency = 'usd') {
  const pi = await stripe.paymentIntents.create({ amount, currency });
  const confirmed = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
  expect(confirmed.status).toBe('succeeded');
  return confirmed;
}

describe('refunds with the official SDK', () => {
  it('refunds by payment_intent and by charge, lists by either, and updates metadata', async () => {
    const { stripe } = await merchant();
    const pi = await paid(stripe);
    const first = await stripe.refunds.create({ payment_intent: pi.id, amount: 3_000, metadata: { ticket: 'T-1' } });
    expect(first).toMatchObject({ object: 'refund', amount: 3_000, currency: 'usd', status: 'succeeded', payment_intent: pi.id, metadata: { ticket: 'T-1' } });
    expect(first.charge).toMatch(/^ch_/);

    const second = await stripe.refunds.create({ charge: first.charge as string, amount: 2_000 });
    expect(second).toMatchObject({ amount: 2_000, payment_intent: pi.id, charge: first.charge, status: 'succeeded' });

    // Stripe's charge.refunded for each, the charge's amount_refunded growing; charge.refund.updated carries the refund
    const chargeRefunded = (await stripe.events.list({ type: 'charge.refunded' })).data.map((e) => e.data.object as Stripe.Charge);
    expect(chargeRefunded.map((c) => [c.id, c.amount_refunded])).toEqual([
      [first.charge, 5_000],
      [first.charge, 3_000],
    ]);
    const refundUpdated = (await stripe.events.list({ type: 'charge.refund.updated' })).data.map((e) => (e.data.object as Stripe.Refund).id);
    expect(refundUpdated).toEqual([second.id, first.id]);

    const byCharge = await stripe.refunds.list({ charge: first.charge as string });
    expect(byCharge.data.map((r) => r.id)).toEqual([second.id, first.id]);
    expect((await stripe.refunds.list({ payment_intent: pi.id })).data).toHaveLength(2);
    expect((await stripe.refunds.list({ limit: 1 }).autoPagingToArray({ limit: 10 })).map((r) => r.id)).toEqual([second.id, first.id]);

    const updated = await stripe.refunds.update(first.id, { metadata: { ticket: '', reason_code: 'damaged' } });
    expect(updated.metadata).toEqual({ reason_code: 'damaged' });
    expect((await stripe.refunds.retrieve(first.id)).metadata).toEqual({ reason_code: 'damaged' });
    const event = (await stripe.events.list({ type: 'refund.updated' })).data.find((e) => (e.data.object as Stripe.Refund).id === first.id && e.data.previous_attributes);
    expect(event?.data.previous_attributes).toEqual({ metadata: { ticket: 'T-1' } });

    // only metadata can change
    const err = await stripe.refunds.update(first.id, { amount: 1 } as Stripe.RefundUpdateParams).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'StripeInvalidRequestError', param: 'amount', code: 'parameter_unknown' });
    await assertLedgerInvariants();
  });

  it('refuses a refund the balance cannot cover with balance_insufficient (an invalid request, not a card error), writing nothing', async () => {
    const { stripe } = await merchant();
    const pi = await paid(stripe, 1_000);
    const err = await stripe.refunds.create({ payment_intent: pi.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, code: 'balance_insufficient', param: 'amount' });
    expect((await stripe.refunds.list({ payment_intent: pi.id })).data).toHaveLength(0);
    await assertLedgerInvariants();
  });

  it('names an unknown charge and refuses payment_intent and charge together', async () => {
    const { stripe } = await merchant();
    const pi = await paid(stripe);
    await expect(stripe.refunds.create({ charge: 'ch_000000000000000000000000' })).rejects.toMatchObject({ statusCode: 404, param: 'charge', code: 'resource_missing' });
    const [refund] = [await stripe.refunds.create({ payment_intent: pi.id, amount: 100 })];
    await expect(stripe.refunds.create({ payment_intent: pi.id, charge: refund!.charge as string })).rejects.toMatchObject({ statusCode: 400, param: 'charge' });
    // another merchant cannot refund this charge
    const other = await merchant();
    await expect(other.stripe.refunds.create({ charge: refund!.charge as string })).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('balance and balance transactions with the official SDK', () => {
  it('shows the balance and each ledger line in Stripe’s balance_transaction shape', async () => {
    const { stripe } = await merchant();
    const pi = await paid(stripe, 10_000);
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 4_000 });

    const balance = await stripe.balance.retrieve();
    expect(balance).toMatchObject({ object: 'balance', livemode: false });
    // 10,000 - fee 320 - refund 4,000, not settled yet
    expect(balance.pending).toEqual([{ amount: 5_680, currency: 'usd' }]);
    expect(balance.available).toEqual([{ amount: 0, currency: 'usd' }]);

    const lines = await stripe.balanceTransactions.list({ limit: 1 }).autoPagingToArray({ limit: 10 });
    expect(lines.map((l) => l.type)).toEqual(['refund', 'charge']);
    const [refundLine, chargeLine] = lines as [Stripe.BalanceTransaction, Stripe.BalanceTransaction];
    expect(chargeLine).toMatchObject({
      object: 'balance_transaction',
      amount: 10_000,
      fee: 320,
      net: 9_680,
      currency: 'usd',
      reporting_category: 'charge',
      source: pi.latest_charge,
      status: 'pending',
      available_on: null,
    });
    expect(chargeLine.fee_details).toEqual([expect.objectContaining({ amount: 320, currency: 'usd' })]);
    expect(refundLine).toMatchObject({ type: 'refund', reporting_category: 'refund', amount: -4_000, fee: 0, net: -4_000, source: refund.id });
    expect(chargeLine.net).toBe(chargeLine.amount - chargeLine.fee);

    const { lastResponse: _, ...retrieved } = await stripe.balanceTransactions.retrieve(chargeLine.id);
    expect(retrieved).toEqual(JSON.parse(JSON.stringify(chargeLine)));
    await expect(stripe.balanceTransactions.retrieve('jtx_000000000000000000000000')).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('disputes with the official SDK', () => {
  it('lists and retrieves the disputes recorded from the PSP, only the merchant’s own', async () => {
    const { id: merchantId, stripe } = await merchant();
    const pi = await paid(stripe, 5_000);
    const older = await paid(stripe, 2_000);
    // the PSP reported two disputes (lib/inbox records Stripe's charge.dispute.created this way)
    const rows = [
      { pi: older, status: 'won', reason: 'duplicate', at: new Date(Date.now() - 60_000) },
      { pi, status: 'needs_response', reason: 'fraudulent', at: new Date() },
    ].map((d) => ({
      id: newId('paymentDispute'),
      merchantId,
      paymentIntentId: d.pi.id,
      psp: 'stripe',
      pspDisputeId: `du_${newId('paymentDispute').slice(3)}`,
      amount: d.pi.amount,
      currency: 'usd',
      reason: d.reason,
      status: d.status,
      disputedAt: d.at,
    }));
    await getDb().insert(paymentDisputes).values(rows);

    const listed = await stripe.disputes.list({ limit: 1 }).autoPagingToArray({ limit: 10 });
    expect(listed.map((d) => d.id)).toEqual([rows[1]!.id, rows[0]!.id]);
    expect(listed[0]).toMatchObject({
      object: 'dispute',
      amount: 5_000,
      currency: 'usd',
      payment_intent: pi.id,
      reason: 'fraudulent',
      status: 'needs_response',
      is_charge_refundable: true,
      livemode: false,
    });
    expect(listed[0]!.charge).toMatch(/^ch_/);
    expect(listed[1]).toMatchObject({ status: 'won', is_charge_refundable: false });
    expect((await stripe.disputes.list({ payment_intent: older.id })).data.map((d) => d.id)).toEqual([rows[0]!.id]);
    expect((await stripe.disputes.list({ charge: listed[0]!.charge as string })).data.map((d) => d.id)).toEqual([rows[1]!.id]);
    expect(await stripe.disputes.retrieve(rows[1]!.id)).toMatchObject({ id: rows[1]!.id, charge: listed[0]!.charge });

    const other = await merchant();
    await expect(other.stripe.disputes.retrieve(rows[1]!.id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await other.stripe.disputes.list()).data).toEqual([]);
  });
});
