import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMerchant } from '../helpers/test-app';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;
let stripe: Stripe;
const ids: Record<string, string> = {};

beforeAll(async () => {
  s = await startStripeApp();
  // a merchant of its own: its search sees only these intents
  stripe = s.client((await createTestMerchant()).secretKey);
  const make = async (name: string, amount: number, metadata: Record<string, string>, pay: boolean, receipt_email?: string) => {
    const pi = await stripe.paymentIntents.create({ amount, currency: 'usd', metadata, ...(receipt_email ? { receipt_email } : {}) });
    if (pay) await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    ids[name] = pi.id;
  };
  await make('small', 500, { order: '1', channel: 'web' }, true, 'Jane@Example.com');
  await make('mid', 2_000, { order: '2', channel: 'web' }, true);
  await make('big', 9_000, { order: '3', channel: 'pos' }, true);
  await make('open', 2_500, { order: '4', channel: 'web' }, false);
  await make('quote', 1_000, { order: "5' OR '1'='1", channel: 'web' }, false);
});
afterAll(() => s.close());

const search = async (query: string) => (await stripe.paymentIntents.search({ query, limit: 100 })).data.map((pi) => pi.id).sort();
const idsOf = (...names: string[]) => names.map((n) => ids[n]!).sort();

describe('GET /v1/payment_intents/search with the official SDK', () => {
  it('answers a search_result with Stripe’s fields', async () => {
    const result = await stripe.paymentIntents.search({ query: "status:'succeeded'" });
    expect(result).toMatchObject({ object: 'search_result', url: '/v1/payment_intents/search', has_more: false, next_page: null });
    expect(result.data.map((pi) => pi.id).sort()).toEqual(idsOf('small', 'mid', 'big'));
    expect(result.data[0]).toMatchObject({ object: 'payment_intent', status: 'succeeded' });
  });

  it.each([
    ["status:'succeeded' AND metadata['channel']:'web'", ['small', 'mid']],
    ["metadata['order']:'3' OR metadata['order']:'4'", ['big', 'open']],
    ['amount>2000', ['open', 'big']],
    ['amount>=2000 AND amount<9000', ['mid', 'open']],
    ['amount<=1000', ['small', 'quote']],
    ["-status:'succeeded'", ['open', 'quote']],
    ["email:'jane@example.com'", ['small']],
    ["currency:'usd' AND amount:2000", ['mid']],
    // a quote inside a value is data, not syntax
    ["metadata['order']:'5\\' OR \\'1\\'=\\'1'", ['quote']],
    ["metadata['missing']:'x'", []],
  ])('%s', async (query, expected) => {
    expect(await search(query)).toEqual(idsOf(...expected));
  });

  it('filters on created in unix seconds', async () => {
    const all = (await stripe.paymentIntents.search({ query: "currency:'usd'", limit: 100 })).data;
    const oldest = Math.min(...all.map((pi) => pi.created));
    expect((await search(`created>=${oldest}`)).length).toBe(5);
    expect(await search(`created<${oldest}`)).toEqual([]);
    expect((await search(`created>${oldest - 1}`)).length).toBe(5);
  });

  it('pages with next_page, and auto-pagination walks every page once', async () => {
    const first = await stripe.paymentIntents.search({ query: "currency:'usd'", limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.next_page).toEqual(expect.any(String));
    const second = await stripe.paymentIntents.search({ query: "currency:'usd'", limit: 2, page: first.next_page! });
    expect(second.data.map((pi) => pi.id)).not.toContain(first.data[0]!.id);
    const walked = await stripe.paymentIntents.search({ query: "currency:'usd'", limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(walked.map((pi) => pi.id).sort()).toEqual(Object.values(ids).sort());
    expect(new Set(walked.map((pi) => pi.id)).size).toBe(5);
  });

  it.each([
    ["status:'succeeded' AND amount>1 OR amount<5", /cannot be mixed/],
    ["colour:'red'", /not a searchable field/],
    ["status~'succ'", /substring/],
    ['status:succeeded', /must be quoted/],
    ['', /query/],
  ])('refuses %j with a clear invalid_request_error', async (query, message) => {
    const err = await stripe.paymentIntents.search({ query }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, param: 'query' });
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a forged page token, and another merchant finds none of these', async () => {
    const err = await stripe.paymentIntents.search({ query: "currency:'usd'", page: 'not-a-token' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 400, param: 'page' });
    expect((await s.stripe.paymentIntents.search({ query: `metadata['order']:'1'` })).data.map((pi) => pi.id)).not.toContain(ids.small);
  });
});

describe('GET /v1/customers/search with the official SDK', () => {
  it('finds live customers by email (any case), name and metadata, and pages', async () => {
    const shop = s.client((await createTestMerchant()).secretKey);
    const jane = await shop.customers.create({ email: 'jane@example.com', name: 'Jane Doe', metadata: { tier: 'gold' } });
    const joe = await shop.customers.create({ email: 'joe@example.com', name: 'Joe Bloggs', metadata: { tier: 'gold' } });
    const gone = await shop.customers.create({ email: 'gone@example.com', metadata: { tier: 'gold' } });
    await shop.customers.del(gone.id);

    const byEmail = await shop.customers.search({ query: "email:'JANE@example.com'" });
    expect(byEmail).toMatchObject({ object: 'search_result', url: '/v1/customers/search', has_more: false });
    expect(byEmail.data.map((c) => c.id)).toEqual([jane.id]);
    expect((await shop.customers.search({ query: "name:'Joe Bloggs'" })).data.map((c) => c.id)).toEqual([joe.id]);
    const gold = await shop.customers.search({ query: "metadata['tier']:'gold'", limit: 1 }).autoPagingToArray({ limit: 10 });
    expect(gold.map((c) => c.id).sort()).toEqual([jane.id, joe.id].sort());
    expect((await shop.customers.search({ query: "email:'jane@example.com' OR email:'joe@example.com'" })).data).toHaveLength(2);
    await expect(shop.customers.search({ query: 'amount>1' })).rejects.toMatchObject({ statusCode: 400, param: 'query' });
  });
});

describe('GET /v1/charges/search with the official SDK', () => {
  it("finds charges by Stripe's status, amount and the intent's metadata", async () => {
    const succeeded = await stripe.charges.search({ query: "status:'succeeded'", limit: 100 });
    expect(succeeded).toMatchObject({ object: 'search_result', url: '/v1/charges/search' });
    expect(succeeded.data.map((c) => c.payment_intent).sort()).toEqual(idsOf('small', 'mid', 'big'));
    expect(succeeded.data.every((c) => c.object === 'charge' && c.id.startsWith('ch_') && c.paid)).toBe(true);
    const web = await stripe.charges.search({ query: "metadata['channel']:'web' AND amount>1000" });
    expect(web.data.map((c) => c.payment_intent)).toEqual([ids.mid]);
    expect((await stripe.charges.search({ query: `payment_intent:'${ids.big}'` })).data.map((c) => c.amount)).toEqual([9_000]);
    expect((await stripe.charges.search({ query: "status:'failed'" })).data).toEqual([]);
    await expect(stripe.charges.search({ query: "email:'x@example.com'" })).rejects.toMatchObject({ statusCode: 400, param: 'query' });
  });
});
