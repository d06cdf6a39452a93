import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMerchant, tokenizeCard } from '../helpers/test-app';
import { startStripeApp, type StripeApp } from './stripe-app';

/**
 * A saved card charged again through the official SDK, as a subscription-less "charge the card
 * on file" integration does: customer + attached PaymentMethod, then PaymentIntents with
 * `customer`, `payment_method`, `confirm: true` and `off_session: true`.
 */

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());

async function savedCard(number: string) {
  const customer = await s.stripe.customers.create({ email: `saved-${number}-${Date.now()}@example.test` });
  const token = await tokenizeCard(s.app, number, { merchantId: s.merchant.merchant.id });
  const pm = await s.stripe.paymentMethods.create({ type: 'card', card: { token } });
  await s.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
  return { customer, pm };
}

const cardError = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Stripe.errors.StripeError);
  return err as Stripe.errors.StripeError;
};

describe('charging a saved card again', () => {
  it('charges the card on file off session, again and again', async () => {
    const { customer, pm } = await savedCard('4242424242424242');
    for (const amount of [1500, 2500]) {
      const pi = await s.stripe.paymentIntents.create({ amount, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true, off_session: true });
      expect(pi).toMatchObject({ status: 'succeeded', amount_received: amount, customer: customer.id, payment_method: pm.id });
    }
    const list = await s.stripe.paymentIntents.list({ customer: customer.id });
    expect(list.data).toHaveLength(2);
  });

  it('asks for 3-D Secure on session (requires_action) and declines off session with authentication_required', async () => {
    const { customer, pm } = await savedCard('4000002760003184');
    const onSession = await s.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      return_url: 'https://shop.example.test/back',
    });
    expect(onSession.status).toBe('requires_action');
    expect(onSession.next_action?.type).toBe('redirect_to_url');

    const err = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true, off_session: true }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.code).toBe('authentication_required');
    expect(err.decline_code).toBe('authentication_required');
    const failed = await s.stripe.paymentIntents.retrieve(err.payment_intent!.id);
    expect(failed.status).toBe('requires_payment_method');
    expect(failed.last_payment_error?.code).toBe('authentication_required');
    expect(failed.amount_received).toBe(0);
  });

  it('passes off session from a card on file when the issuer only wanted 3-D Secure once (4000002500003155)', async () => {
    const { customer, pm } = await savedCard('4000002500003155');
    const pi = await s.stripe.paymentIntents.create({ amount: 700, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true, off_session: true });
    expect(pi.status).toBe('succeeded');
  });
});

describe('who a saved card may pay for', () => {
  it('refuses a saved card on an intent without its customer, or for another customer, and charges nothing', async () => {
    const { pm } = await savedCard('4242424242424242');
    const noCustomer = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: pm.id, confirm: true }));
    expect(noCustomer).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(noCustomer.param).toBe('payment_method');
    const stranger = await s.stripe.customers.create({ email: 'stranger@example.test' });
    const otherCustomer = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: stranger.id, payment_method: pm.id, confirm: true }));
    expect(otherCustomer.param).toBe('payment_method');
    const charged = await s.stripe.paymentIntents.list({ customer: stranger.id });
    expect(charged.data.every((pi) => pi.amount_received === 0)).toBe(true);
  });

  it('refuses off_session with a bare card token', async () => {
    const customer = await s.stripe.customers.create({ email: 'bare@example.test' });
    const token = await tokenizeCard(s.app, '4242424242424242', { merchantId: s.merchant.merchant.id });
    const err = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id, payment_method: token, confirm: true, off_session: true }));
    expect(err.param).toBe('off_session');
  });

  it('refuses another merchant’s customer and a deleted customer on a payment intent', async () => {
    const other = await createTestMerchant('Other');
    const theirs = await s.client(other.secretKey).customers.create({ email: 'theirs@example.test' });
    const foreign = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: theirs.id }));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.param).toBe('customer');
    const gone = await s.stripe.customers.create({ email: 'gone@example.test' });
    await s.stripe.customers.del(gone.id);
    const deleted = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: gone.id }));
    expect(deleted.param).toBe('customer');
    expect(deleted.message).toMatch(/deleted/);
    const pi = await s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const update = await cardError(s.stripe.paymentIntents.update(pi.id, { customer: gone.id }));
    expect(update.param).toBe('customer');
  });

  it('a detached card cannot be charged again', async () => {
    const { customer, pm } = await savedCard('4242424242424242');
    await s.stripe.paymentMethods.detach(pm.id);
    const err = await cardError(s.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true, off_session: true }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});

describe('expanding customer', () => {
  it('expands a payment intent’s customer and a charge’s customer', async () => {
    const { customer, pm } = await savedCard('4242424242424242');
    const pi = await s.stripe.paymentIntents.create({ amount: 1200, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true, off_session: true });
    const expanded = await s.stripe.paymentIntents.retrieve(pi.id, { expand: ['customer', 'latest_charge'] });
    expect(expanded.customer).toMatchObject({ id: customer.id, object: 'customer', email: customer.email });
    const charge = expanded.latest_charge as Stripe.Charge;
    const chargeWithCustomer = await s.stripe.charges.retrieve(charge.id, { expand: ['customer'] });
    expect((chargeWithCustomer.customer as Stripe.Customer).id).toBe(customer.id);
  });
});
