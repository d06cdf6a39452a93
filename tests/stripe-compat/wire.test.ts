import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRIPE_API_VERSION } from '@/lib/http/api';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

/** A raw request to the app, as another language's SDK or curl would send it. */
async function raw(method: string, path: string, init: { body?: string; type?: string; key?: string | null; headers?: Record<string, string> } = {}) {
  const key = init.key === undefined ? s.merchant.secretKey : init.key;
  const res = await fetch(`${s.app.url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/x-www-form-urlencoded' } : {}),
      ...init.headers,
    },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as any) : undefined };
}

describe('the official stripe SDK, configured with host, port and protocol only', () => {
  it('creates and retrieves a payment intent over /v1 with form-encoded bodies', async () => {
    const created = await s.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', metadata: { order: '42', note: 'a b&c=d' } });
    expect(created).toMatchObject({ object: 'payment_intent', amount: 2000, currency: 'usd', metadata: { order: '42', note: 'a b&c=d' } });
    expect(created.lastResponse.requestId).toMatch(REQUEST_ID);
    expect(created.lastResponse.apiVersion).toBe(STRIPE_API_VERSION);
    const again = await s.stripe.paymentIntents.retrieve(created.id);
    expect(again.id).toBe(created.id);
    expect(again.amount).toBe(2000);
  });

  it('refuses Stripe-Account (paykit has no connected accounts) instead of acting on the merchant itself', async () => {
    const before = await s.stripe.paymentIntents.list({ limit: 100 });
    const connected = s.client(s.merchant.secretKey, { stripeAccount: 'acct_1Connected000000' });
    const err = await connected.paymentIntents.create({ amount: 500, currency: 'usd' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).message).toMatch(/Stripe-Account/);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(400);
    await expect(connected.paymentIntents.list()).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((await s.stripe.paymentIntents.list({ limit: 100 })).data.length).toBe(before.data.length);
  });

  it('lists with query parameters decoded from the query string', async () => {
    const page = await s.stripe.paymentIntents.list({ limit: 1 });
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(1);
  });

  it('surfaces a validation error as StripeInvalidRequestError with the param', async () => {
    const err = await s.stripe.paymentIntents.create({ amount: 'lots' as unknown as number, currency: 'usd' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, param: 'amount', type: 'StripeInvalidRequestError', code: 'parameter_invalid' });
    expect((err as Stripe.errors.StripeError).requestId).toMatch(REQUEST_ID);
  });

  it('refuses an unknown key as StripeAuthenticationError', async () => {
    const err = await s.client('sk_test_000000000000000000000000').paymentIntents.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('wire format', () => {
  it('decodes bracket notation: nested objects, arrays, numbers as strings', async () => {
    const body = 'amount=1400&currency=usd&metadata[order]=42&metadata[0]=zero&capture_method=manual';
    const res = await raw('POST', '/v1/payment_intents', { body });
    expect(res.json.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ amount: 1400, capture_method: 'manual', metadata: { order: '42', 0: 'zero' } });
  });

  it("takes older SDKs' payment_method_types[] and automatic_payment_methods[enabled] as form fields", async () => {
    const named = await raw('POST', '/v1/payment_intents', { body: 'amount=100&currency=kes&payment_method_types[]=mpesa&payment_method_types[]=card' });
    expect(named.json).toMatchObject({ payment_method_types: ['mpesa', 'card'], automatic_payment_methods: null });
    const automatic = await raw('POST', '/v1/payment_intents', { body: 'amount=100&currency=kes&automatic_payment_methods[enabled]=true' });
    expect(automatic.json).toMatchObject({ automatic_payment_methods: { enabled: true }, allowed_payment_method_types: null });
    expect(automatic.json.payment_method_types).toEqual(expect.arrayContaining(['card', 'mpesa']));
    const both = await raw('POST', '/v1/payment_intents', { body: 'amount=100&currency=usd&automatic_payment_methods[enabled]=true&payment_method_types[0]=card' });
    expect(both.json.error).toMatchObject({ code: 'parameter_invalid', param: 'automatic_payment_methods' });
    const unknownType = await raw('POST', '/v1/payment_intents', { body: 'amount=100&currency=usd&payment_method_types[0]=ideal' });
    expect(unknownType.json.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_types.0' });
  });

  it('refuses form input the schema refuses, with the same error as JSON', async () => {
    const form = await raw('POST', '/v1/payment_intents', { body: 'amount=12.5.1&currency=usd' });
    const json = await raw('POST', '/v1/payment_intents', { body: JSON.stringify({ amount: '12.5.1', currency: 'usd' }), type: 'application/json' });
    expect(form.status).toBe(400);
    expect(form.json.error).toEqual(json.json.error);
    expect(form.json.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'amount' });
    const unknown = await raw('POST', '/v1/payment_intents', { body: 'amount=100&currency=usd&colour[x]=1' });
    expect(unknown.json.error).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
  });

  it('keeps JSON bodies working, on /v1 and /api/v1', async () => {
    for (const path of ['/v1/payment_intents', '/api/v1/payment_intents']) {
      const res = await raw('POST', path, { body: JSON.stringify({ amount: 500, currency: 'eur' }), type: 'application/json' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ amount: 500, currency: 'eur' });
    }
  });

  it('treats /v1 and /api/v1 as one endpoint for an Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `wire-${Date.now()}` };
    const first = await raw('POST', '/v1/payment_intents', { body: 'amount=700&currency=usd', headers });
    const second = await raw('POST', '/api/v1/payment_intents', { body: 'amount=700&currency=usd', headers });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.json.id).toBe(first.json.id);
  });

  it('refuses nesting deeper than the limit and bodies past the size limit', async () => {
    const deep = `amount=1&currency=usd&metadata${'[a]'.repeat(25)}=1`;
    const tooDeep = await raw('POST', '/v1/payment_intents', { body: deep });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.json.error.type).toBe('invalid_request_error');
    const big = await raw('POST', '/v1/payment_intents', { body: `amount=1&currency=usd&description=${'x'.repeat(300 * 1024)}` });
    expect(big.status).toBe(400);
    expect(big.json.error.message).toMatch(/too large/);
  });

  it('sends Request-Id and Stripe-Version on every answer: success, error, 404, 405', async () => {
    const answers = [
      await raw('GET', '/v1/payment_intents?limit=1'),
      await raw('GET', '/v1/payment_intents/pi_missing'),
      await raw('GET', '/v1/payment_intents', { key: null }),
      await raw('GET', '/v1/no_such_thing'),
      await raw('DELETE', '/v1/payment_intents'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 404, 401, 404, 405]);
    for (const a of answers) {
      expect(a.headers.get('request-id')).toMatch(REQUEST_ID);
      expect(a.headers.get('stripe-version')).toBe(STRIPE_API_VERSION);
    }
    const echoed = await raw('GET', '/v1/payment_intents?limit=1', { headers: { 'stripe-version': '2024-06-20' } });
    expect(echoed.headers.get('stripe-version')).toBe('2024-06-20');
  });

  it('answers an unknown route and an unknown search path with invalid_request_error naming the URL', async () => {
    for (const path of ['/v1/no_such_thing', '/v1/no_such_thing/search', '/api/v1/widgets/search']) {
      const res = await raw('GET', `${path}?query=status:'succeeded'`);
      expect(res.status).toBe(404);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error' });
      expect(res.json.error.message).toContain(`(GET: ${path})`);
    }
  });

  it('answers a method the route does not serve with 405 and a Stripe-shaped body', async () => {
    const res = await raw('PUT', '/v1/payment_intents', { body: 'amount=1' });
    expect(res.status).toBe(405);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed' });
    expect(res.json.error.message).toContain('PUT');
  });

  it('adds doc_url for codes Stripe documents', async () => {
    const res = await raw('GET', '/v1/payment_intents/pi_missing');
    expect(res.json.error).toMatchObject({ code: 'resource_missing', doc_url: 'https://docs.stripe.com/error-codes/resource-missing' });
  });
});
