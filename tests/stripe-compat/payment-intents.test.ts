import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { outboxEvents } from '@/db/schema';
import { ensureCapturePosted } from '@/lib/ledger/capture';
import { expectStripeFields } from './required-fields';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;
let stripe: Stripe;

beforeAll(async () => {
  s = await startStripeApp();
  stripe = s.stripe;
});
afterAll(() => s.close());

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('PaymentIntents through the official SDK', () => {
  it('creates with confirm: true and a payment method: succeeded, with a ch_ latest_charge and a pm_ payment_method', async () => {
    // a payment intent's customer must exist (lib/customers)
    const customerId = (await stripe.customers.create({ email: 'buyer@example.test' })).id;
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      confirm: true,
      payment_method: 'pm_card_visa',
      allowed_payment_method_types: ['card'],
      receipt_email: 'Buyer@Example.test',
      statement_descriptor: 'PAYKIT SHOP',
      customer: customerId,
      metadata: { order: '42' },
      return_url: 'https://shop.example/return',
    });
    expect(pi).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount_received: 2500,
      livemode: false,
      customer: customerId,
      receipt_email: 'buyer@example.test',
      statement_descriptor: 'PAYKIT SHOP',
      payment_method_types: ['card'],
      allowed_payment_method_types: ['card'],
      metadata: { order: '42' },
    });
    expectStripeFields('payment_intent', pi);
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_[0-9A-Za-z]{24}$`));
    expect(pi.latest_charge).toMatch(/^ch_/);
    expect(pi.payment_method).toMatch(/^pm_/);

    const pm = await stripe.paymentMethods.retrieve(pi.payment_method as string);
    expectStripeFields('payment_method', pm);
    expectStripeFields('card', pm.card!);
    expect(pm).toMatchObject({ object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242' } });
    expect(pm.card!.fingerprint).toEqual(expect.any(String));
    expect(pm.card!.exp_year).toBeGreaterThan(2000);
    expect(pm.card!.exp_month).toBeGreaterThanOrEqual(1);

    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expectStripeFields('charge', charge);
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 2500,
      amount_captured: 2500,
      amount_refunded: 0,
      captured: true,
      paid: true,
      status: 'succeeded',
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
      outcome: { type: 'authorized', network_status: 'approved_by_network', risk_level: 'normal', seller_message: 'Payment complete.' },
      customer: customerId,
      receipt_email: 'buyer@example.test',
    });
  });

  it('creates, updates before confirmation, then confirms; an update after it is refused', async () => {
    const created = await stripe.paymentIntents.create({ amount: 1000, currency: 'eur', metadata: { a: '1', b: '2' } });
    expect(created.status).toBe('requires_payment_method');
    const updated = await stripe.paymentIntents.update(created.id, {
      amount: 1500,
      description: 'Two mugs',
      receipt_email: 'mugs@example.test',
      metadata: { b: '', c: '3' },
    });
    expect(updated).toMatchObject({ amount: 1500, description: 'Two mugs', receipt_email: 'mugs@example.test', metadata: { a: '1', c: '3' } });
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_mastercard' });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1500 });
    const err = await stripe.paymentIntents.update(created.id, { amount: 99 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ code: 'payment_intent_unexpected_state', statusCode: 400 });
    expect((await stripe.paymentIntents.retrieve(created.id)).amount).toBe(1500);
  });

  it('confirms with the payment method named at creation (requires_confirmation), and with payment_method_data', async () => {
    const first = await stripe.paymentIntents.create({ amount: 800, currency: 'usd', confirm: true, payment_method: 'pm_card_visa' });
    const saved = first.payment_method as string;
    const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', payment_method: saved });
    expect(pi).toMatchObject({ status: 'requires_confirmation', payment_method: saved });
    const confirmed = await stripe.paymentIntents.confirm(pi.id);
    expect(confirmed).toMatchObject({ status: 'succeeded', payment_method: saved });
    const viaData = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      confirm: true,
      payment_method_data: { type: 'card', card: { token: 'pm_card_visa' } } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodData,
    });
    expect(viaData.status).toBe('succeeded');
    expect(viaData.payment_method).toMatch(/^pm_/);
  });

  it('holds with capture_method manual, captures part, and the charge shows what was captured', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd', capture_method: 'manual', confirm: true, payment_method: 'pm_card_visa' });
    expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 3000 });
    const held = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(held).toMatchObject({ captured: false, paid: true, status: 'succeeded', amount_captured: 0 });
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ captured: true, amount_captured: 2000, amount: 3000 });
  });

  it('cancels an intent with a reason', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 400, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
  });

  it('expands latest_charge and payment_method, on an object and on a list (data.*), and refuses unknown expansions', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1200, currency: 'usd', confirm: true, payment_method: 'pm_card_visa' });
    const expanded = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge', 'payment_method'] });
    const charge = expanded.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: 'charge', id: pi.latest_charge, payment_intent: pi.id });
    expect(expanded.payment_method).toMatchObject({ object: 'payment_method', id: pi.payment_method });
    const chargeWithIntent = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['payment_intent'] });
    expect(chargeWithIntent.payment_intent).toMatchObject({ object: 'payment_intent', id: pi.id });
    const list = await stripe.paymentIntents.list({ limit: 3, expand: ['data.latest_charge'] });
    const withCharge = list.data.find((p) => p.id === pi.id)!;
    expect(withCharge.latest_charge).toMatchObject({ object: 'charge' });
    for (const expand of [['no_such_field'], ['latest_charge.no_such_field'], ['latest_charge']]) {
      const err = await (expand[0] === 'latest_charge' ? stripe.paymentIntents.list({ expand }) : stripe.paymentIntents.retrieve(pi.id, { expand })).catch(
        (e: unknown) => e,
      );
      expect(err, expand.join()).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect((err as Stripe.errors.StripeError).message).toMatch(/cannot be expanded/);
      expect((err as Stripe.errors.StripeError).param).toBe('expand[0]');
    }
  });

  it("expands a charge's balance_transaction once the capture is posted", async () => {
    const pi = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', confirm: true, payment_method: 'pm_card_visa' });
    const before = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['balance_transaction'] });
    expect(before.balance_transaction).toBeNull();
    // what the ledger-post-capture consumer does with the payment_intent.succeeded event
    const [succeeded] = await getDb()
      .select({ id: outboxEvents.id })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.succeeded')));
    await ensureCapturePosted(getDb(), succeeded!.id);
    const after = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['balance_transaction'] });
    const txn = after.balance_transaction as Stripe.BalanceTransaction;
    expect(txn).toMatchObject({ object: 'balance_transaction', amount: 2500, currency: 'usd', type: 'charge', source: pi.latest_charge });
    expect(txn.net).toBe(txn.amount - txn.fee);
    expect(await stripe.balanceTransactions.retrieve(txn.id)).toEqual(txn);
  });

  it('lists by created range, customer and ending_before, and auto-paginates', async () => {
    const customer = (await stripe.customers.create({ email: 'lister@example.test' })).id;
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await stripe.paymentIntents.create({ amount: 100 + i, currency: 'usd', customer })).id);
    const byCustomer = await stripe.paymentIntents.list({ customer, limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(byCustomer.map((p) => p.id)).toEqual([...mine].reverse());
    const seen: string[] = [];
    for await (const p of stripe.paymentIntents.list({ customer, limit: 2 })) seen.push(p.id);
    expect(seen).toEqual([...mine].reverse());
    const newest = await stripe.paymentIntents.list({ customer, ending_before: mine[1], limit: 10 });
    expect(newest.data.map((p) => p.id)).toEqual([mine[4], mine[3], mine[2]]);
    const inRange = await stripe.paymentIntents.list({ customer, created: { gte: nowSeconds() - 600, lte: nowSeconds() + 1 } });
    expect(inRange.data).toHaveLength(5);
    const future = await stripe.paymentIntents.list({ customer, created: { gt: nowSeconds() + 60 } });
    expect(future.data).toHaveLength(0);
  });
});

describe("Stripe.js's retrieve: publishable key and client secret", () => {
  it('reads the intent with its client secret, shows the browser its part only, and refuses without or with a wrong secret', async () => {
    const customer = await stripe.customers.create({ email: 'browser@example.test' });
    const pi = await stripe.paymentIntents.create({ amount: 1900, currency: 'usd', metadata: { internal: 'yes' }, customer: customer.id });
    const browser = s.client(s.merchant.merchant.publishableKey);
    const seen = await browser.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! });
    expect(seen).toMatchObject({ id: pi.id, amount: 1900, status: 'requires_payment_method', client_secret: pi.client_secret });
    expect(seen).not.toHaveProperty('metadata');
    expect(seen).not.toHaveProperty('customer');
    const other = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    for (const params of [{}, { client_secret: other.client_secret! }, { client_secret: `${pi.id}_secret_wrongwrongwrongwrong0000` }]) {
      const err = await browser.paymentIntents.retrieve(pi.id, params).catch((e: unknown) => e);
      expect(err, JSON.stringify(params)).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    }
    // the publishable key reads nothing else
    const list = await browser.paymentIntents.list().catch((e: unknown) => e);
    expect(list).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    // a secret key presenting the client secret reads the whole intent
    expect((await stripe.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! })).metadata).toEqual({ internal: 'yes' });
  });
});

describe('Charges through the official SDK', () => {
  it('lists charges by payment intent, failed attempts included, newest first', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 5100, currency: 'usd' });
    const declined = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    const charges = await stripe.charges.list({ payment_intent: pi.id });
    expect(charges.data.map((c) => c.status)).toEqual(['succeeded', 'failed']);
    expect(charges.data[1]).toMatchObject({
      paid: false,
      captured: false,
      failure_code: 'card_declined',
      outcome: { type: 'issuer_declined', network_status: 'declined_by_network', reason: 'insufficient_funds' },
    });
    const all = await stripe.charges.list({ limit: 100, created: { gte: nowSeconds() - 600 } }).autoPagingToArray({ limit: 1000 });
    expect(all.map((c) => c.id)).toEqual(expect.arrayContaining(charges.data.map((c) => c.id)));
    const missing = await stripe.charges.retrieve('ch_doesnotexist000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const badCursor = await stripe.charges.list({ starting_after: 'ch_doesnotexist000000' }).catch((e: unknown) => e);
    expect(badCursor).toMatchObject({ statusCode: 404, param: 'starting_after', message: "No such charge: 'ch_doesnotexist000000'" });
  });
});
