import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentAttempts, sandboxCardPayments } from '@/db/schema';
import { defaultPspBreaker, withResilience } from '@/lib/psp';
import { createRetryPolicy } from '@/lib/resilience/policies';
import { createSandboxCardAdapter } from '@/lib/psp/sandbox-card';
import { PspError } from '@/lib/psp/types';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';
import { createTestPaymentIntent } from '@/tests/helpers/factories';

// Attack: a card token (tok_) charged a second time, by the same merchant on another intent or
// by another merchant. A token is single use and belongs to the merchant it was created for
// (the pay page tokenizes with the platform's publishable key and the merchant's Sandbox-Account).

let app: TestApp;
let shop: Awaited<ReturnType<typeof createTestMerchant>>;
let rival: Awaited<ReturnType<typeof createTestMerchant>>;
let shopApi: ReturnType<typeof apiClient>;
let rivalApi: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  shop = await createTestMerchant('Token Shop');
  rival = await createTestMerchant('Rival Shop');
  shopApi = apiClient(app, shop.secretKey);
  rivalApi = apiClient(app, rival.secretKey);
});
afterAll(() => app.close());

const VISA = '4242424242424242';

async function newIntent(api: ReturnType<typeof apiClient>, amount = 1500): Promise<string> {
  return (await createTestPaymentIntent(api, { amount })).id as string;
}

const confirm = (api: ReturnType<typeof apiClient>, pi: string, paymentMethod: string) =>
  api.post(`/api/v1/payment_intents/${pi}/confirm`, { payment_method: paymentMethod });

async function chargesAtSandbox(token: string): Promise<number> {
  const [row] = await getDb().select({ n: count() }).from(sandboxCardPayments).where(eq(sandboxCardPayments.tokenId, token));
  return row!.n;
}

async function attemptsOf(pi: string): Promise<number> {
  const [row] = await getDb().select({ n: count() }).from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi));
  return row!.n;
}

describe('a card token is single use', () => {
  it('a second confirm by the same merchant, on another intent, is 400 token_already_used and changes nothing', async () => {
    const token = await tokenizeCard(app, VISA, { merchantId: shop.merchant.id });
    const first = await newIntent(shopApi);
    const second = await newIntent(shopApi);
    expect((await confirm(shopApi, first, token)).body.status).toBe('succeeded');

    const before = (await shopApi.get(`/api/v1/payment_intents/${second}`)).body;
    const reuse = await confirm(shopApi, second, token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'token_already_used',
      param: 'payment_method',
    });
    expect((await shopApi.get(`/api/v1/payment_intents/${second}`)).body).toEqual(before);
    expect(await attemptsOf(second)).toBe(0);
    expect(await chargesAtSandbox(token)).toBe(1);

    // The same intent cannot be paid with it again either (it is succeeded), and the first stays intact.
    await assertPaymentInvariants(first);
    await assertPaymentInvariants(second);
  });

  it('a token used for a declined charge is used too: the customer must enter the card again', async () => {
    const token = await tokenizeCard(app, '4000000000000002', { merchantId: shop.merchant.id });
    const pi = await newIntent(shopApi);
    expect((await confirm(shopApi, pi, token)).status).toBe(402);
    const again = await confirm(shopApi, pi, token);
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('token_already_used');
    expect(await chargesAtSandbox(token)).toBe(1);
  });

  it('of 10 concurrent confirms on 10 intents with one token, exactly one charges', async () => {
    const token = await tokenizeCard(app, VISA, { merchantId: shop.merchant.id });
    const intents = await Promise.all(Array.from({ length: 10 }, () => newIntent(shopApi, 2500)));
    const results = await Promise.all(intents.map((pi) => confirm(shopApi, pi, token)));

    const succeeded = results.filter((r) => r.status === 200);
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.body.status).toBe('succeeded');
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('token_already_used');
    }
    expect(await chargesAtSandbox(token)).toBe(1);
    const statuses = await Promise.all(
      intents.map(async (pi) => (await shopApi.get(`/api/v1/payment_intents/${pi}`)).body.status),
    );
    expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(1);
    expect(statuses.filter((s) => s !== 'succeeded').every((s) => s === 'requires_payment_method')).toBe(true);
    for (const pi of intents) await assertPaymentInvariants(pi);
  });

  it('a retry of the same attempt (same PSP idempotency key) is not a second use', async () => {
    const token = await tokenizeCard(app, VISA, { merchantId: shop.merchant.id });
    // The first answer is lost on the way back, as after a timeout: the resilience layer retries
    // with the same key, and the sandbox must answer with the payment it already made.
    let calls = 0;
    const losingFirstAnswer: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      calls += 1;
      if (calls === 1) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
      return response;
    };
    const policy = createRetryPolicy({
      strategy: 'fixed',
      maxRetries: 2,
      baseDelayMs: 10,
      maxDelayMs: 10,
      totalTimeoutMs: 10_000,
      isTransient: (err) => err instanceof PspError && err.kind === 'unreachable',
    });
    const psp = withResilience(createSandboxCardAdapter({ fetch: losingFirstAnswer }), policy, defaultPspBreaker());
    const request = {
      idempotencyKey: `retry-${token}`,
      amount: 900,
      currency: 'usd',
      token,
      capture: true,
      merchantId: shop.merchant.id,
    };
    const payment = await psp.authorize(request);
    expect(calls).toBe(2);
    expect(payment.status).toBe('captured');
    expect((await psp.authorize(request)).pspReference).toBe(payment.pspReference);
    expect(await chargesAtSandbox(token)).toBe(1);

    // Another key is another attempt: refused, and still one charge.
    const other = await psp.authorize({ ...request, idempotencyKey: `other-${token}` }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(PspError);
    expect(other).toMatchObject({ kind: 'rejected', httpStatus: 400, reason: 'token_already_used' });
    expect(await chargesAtSandbox(token)).toBe(1);
  });

  it('pm_card_* test payment methods are not tokens: they stay reusable, by any merchant', async () => {
    for (const api of [shopApi, shopApi, rivalApi]) {
      const pi = await newIntent(api, 700);
      const res = await confirm(api, pi, 'pm_card_visa');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('succeeded');
    }
  });
});

describe('a card token belongs to the merchant it was created for', () => {
  it('another merchant gets the answer of a token that does not exist, and nothing is charged or recorded', async () => {
    const token = await tokenizeCard(app, VISA, { merchantId: shop.merchant.id });
    const pi = await newIntent(rivalApi);
    const stolen = await confirm(rivalApi, pi, token);
    const unknown = await confirm(rivalApi, pi, 'tok_doesnotexist000000000000');
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'payment_method_invalid',
      param: 'payment_method',
    });
    expect(stolen.body.error.message).toBe(unknown.body.error.message.replace('tok_doesnotexist000000000000', token));
    expect(await attemptsOf(pi)).toBe(0);
    expect(await chargesAtSandbox(token)).toBe(0);

    // The refused attempt did not consume it: its own merchant can still charge it, once.
    const own = await newIntent(shopApi);
    expect((await confirm(shopApi, own, token)).body.status).toBe('succeeded');
  });

  it('the adapter reads a token only as its own merchant, and sees when it is used', async () => {
    const token = await tokenizeCard(app, VISA, { merchantId: shop.merchant.id });
    const psp = createSandboxCardAdapter();
    expect(await psp.retrieveCardToken(token, shop.merchant.id)).toMatchObject({ token, used: false });
    const foreign = await psp.retrieveCardToken(token, rival.merchant.id).catch((e: unknown) => e);
    expect(foreign).toMatchObject({ kind: 'rejected', httpStatus: 404 });
    const platform = await psp.retrieveCardToken(token).catch((e: unknown) => e);
    expect(platform).toMatchObject({ kind: 'rejected', httpStatus: 404 });
    expect((await confirm(shopApi, await newIntent(shopApi), token)).status).toBe(200);
    expect(await psp.retrieveCardToken(token, shop.merchant.id)).toMatchObject({ token, used: true });
  });

  it('a token created without a merchant account (the platform itself) cannot be charged by any merchant', async () => {
    const token = await tokenizeCard(app, VISA);
    const pi = await newIntent(shopApi);
    const res = await confirm(shopApi, pi, token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('payment_method_invalid');
    expect(await chargesAtSandbox(token)).toBe(0);
  });

  it('the sandbox acquirer refuses a charge of another account’s token with 400 resource_missing, and its own with token_already_used after use', async () => {
    const token = await tokenizeCard(app, VISA, { merchantId: shop.merchant.id });
    const charge = (account: string, key: string) =>
      fetch(`${app.url}/api/sandbox/card/v1/payments`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${process.env.SANDBOX_ACQUIRER_KEY ?? 'sbx_acquirer_local_development_key'}`,
          'idempotency-key': key,
          'sandbox-account': account,
        },
        body: JSON.stringify({ token, amount: 1000, currency: 'usd', capture: true }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const foreign = await charge(rival.merchant.id, `foreign-${token}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ code: 'resource_missing', param: 'token' });
    expect((await charge(shop.merchant.id, `own-${token}`)).status).toBe(200);
    const twice = await charge(shop.merchant.id, `twice-${token}`);
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatchObject({ code: 'token_already_used', param: 'token' });
    expect(await chargesAtSandbox(token)).toBe(1);
  });
});
