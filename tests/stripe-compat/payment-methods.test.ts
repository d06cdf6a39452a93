import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMerchant, tokenizeCard } from '../helpers/test-app';
import { expectStripeFields } from './required-fields';
import { startStripeApp, type StripeApp } from './stripe-app';

/** PaymentMethods through the official SDK: create from a card token, attach, list, detach. */

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());

const token = (number = '4242424242424242') => tokenizeCard(s.app, number, { merchantId: s.merchant.merchant.id });

describe('payment methods', () => {
  it('creates a card PaymentMethod from a token, attaches it to a customer, lists and detaches it', async () => {
    const customer = await s.stripe.customers.create({ email: 'saver@example.test' });
    const pm: Stripe.PaymentMethod = await s.stripe.paymentMethods.create({
      type: 'card',
      card: { token: await token('5555555555554444') },
      billing_details: { name: 'Grace Hopper' },
    });
    expect(pm.id).toMatch(/^pm_/);
    expect(pm).toMatchObject({ object: 'payment_method', type: 'card', customer: null, card: { brand: 'mastercard', last4: '4444' } });
    expect(pm.billing_details.name).toBe('Grace Hopper');
    expect(pm.card!.fingerprint).toEqual(expect.any(String));
    expectStripeFields('payment_method', pm);
    expectStripeFields('card', pm.card!);

    const attached = await s.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
    expect(attached).toMatchObject({ id: pm.id, customer: customer.id, card: { last4: '4444' } });
    // attaching again to the same customer is a no-op
    expect((await s.stripe.paymentMethods.attach(pm.id, { customer: customer.id })).customer).toBe(customer.id);

    const listed = await s.stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    expect(listed.data.map((x) => x.id)).toEqual([pm.id]);
    const viaCustomer = await s.stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
    expect(viaCustomer.data.map((x) => x.id)).toEqual([pm.id]);

    const detached = await s.stripe.paymentMethods.detach(pm.id);
    expect(detached.customer).toBeNull();
    expect((await s.stripe.paymentMethods.list({ customer: customer.id })).data).toEqual([]);
    // a detached method is spent: it cannot be attached again
    const again = await s.stripe.paymentMethods.attach(pm.id, { customer: customer.id }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((again as Stripe.errors.StripeError).code).toBe('payment_method_unexpected_state');
  });

  it('refuses another merchant’s token and customer as missing', async () => {
    const other = await createTestMerchant('Other Shop');
    const theirToken = await tokenizeCard(s.app, '4242424242424242', { merchantId: other.merchant.id });
    const err = await s.stripe.paymentMethods.create({ type: 'card', card: { token: theirToken } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeError);
    expect((err as Stripe.errors.StripeError).statusCode).toBeGreaterThanOrEqual(400);

    const theirCustomer = await s.client(other.secretKey).customers.create({ email: 'theirs@example.test' });
    const pm = await s.stripe.paymentMethods.create({ type: 'card', card: { token: await token() } });
    const attach = await s.stripe.paymentMethods.attach(pm.id, { customer: theirCustomer.id }).catch((e: unknown) => e);
    expect((attach as Stripe.errors.StripeError).statusCode).toBe(404);
    expect((attach as Stripe.errors.StripeError).param).toBe('customer');
  });

  it('refuses to attach to a deleted customer, and a deleted customer’s cards are detached', async () => {
    const customer = await s.stripe.customers.create({ email: 'leaving@example.test' });
    const pm = await s.stripe.paymentMethods.create({ type: 'card', card: { token: await token() } });
    await s.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
    await s.stripe.customers.del(customer.id);
    expect((await s.stripe.customers.listPaymentMethods(customer.id).catch((e: unknown) => e)) as Stripe.errors.StripeError).toHaveProperty('statusCode', 404);
    const fresh = await s.stripe.paymentMethods.create({ type: 'card', card: { token: await token() } });
    const attach = await s.stripe.paymentMethods.attach(fresh.id, { customer: customer.id }).catch((e: unknown) => e);
    expect((attach as Stripe.errors.StripeError).code).toBe('resource_missing');
    expect((attach as Stripe.errors.StripeError).message).toMatch(/deleted/);
  });

  it('listing needs a customer and refuses raw card numbers', async () => {
    const list = await s.stripe.paymentMethods.list({} as Stripe.PaymentMethodListParams).catch((e: unknown) => e);
    expect((list as Stripe.errors.StripeError).param).toBe('customer');
    const raw = await s.stripe.paymentMethods
      .create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' } })
      .catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((raw as Stripe.errors.StripeError).param).toMatch(/^card/);
  });
});
