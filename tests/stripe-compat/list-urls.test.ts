import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMerchant } from '../helpers/test-app';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());

/**
 * Stripe's list object carries the path it was listed from (`url: "/v1/refunds"`): the public path,
 * not the internal `/api/v1` the rewrite lands on. Every list, old and new, says the same.
 */
describe('list objects name their public /v1 path', () => {
  it('through the official SDK', async () => {
    const m = await createTestMerchant();
    const stripe = s.client(m.secretKey);
    const lists = {
      '/v1/payment_intents': await stripe.paymentIntents.list(),
      '/v1/refunds': await stripe.refunds.list(),
      '/v1/balance_transactions': await stripe.balanceTransactions.list(),
      '/v1/webhook_endpoints': await stripe.webhookEndpoints.list(),
      '/v1/customers': await stripe.customers.list(),
      '/v1/events': await stripe.events.list(),
    };
    for (const [path, list] of Object.entries(lists)) expect({ path, url: list.url, object: list.object }).toEqual({ path, url: path, object: 'list' });
  });

  it('for paykit lists the SDK has no method for (dead letters)', async () => {
    const m = await createTestMerchant();
    const res = await fetch(`${s.app.url}/v1/dead_letters`, { headers: { authorization: `Bearer ${m.secretKey}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list', url: '/v1/dead_letters' });
  });
});
