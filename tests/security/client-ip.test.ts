import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentAttempts } from '@/db/schema';
import { authOptions } from '@/lib/auth/next-auth';
import { LOGIN_LIMIT, RATE_LIMIT_MESSAGE } from '@/lib/auth/login-rate-limit';
import { resetEnvCache } from '@/lib/env';
import { saveRiskSettings, DEFAULT_RISK_SETTINGS } from '@/lib/risk';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';
import { createTestCheckoutSession } from '@/tests/helpers/factories';

/**
 * Who the client is (issue 9, items 5 and 6). Every request goes over HTTP to the test server,
 * which, like scripts/serve.ts, appends the socket peer (here always 127.0.0.1) to
 * X-Forwarded-For. The attacker controls every header it sends; it does not control the socket.
 */

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;
let api: ReturnType<typeof apiClient>;

const DECLINE = '4000000000000002';
const GOOD = '4242424242424242';

function setEnv(values: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
}

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

// each test gets a fresh merchant: the per-IP counters are per merchant, and every test here
// comes from the same socket address
beforeEach(async () => {
  merchant = await createTestMerchant('Spoof Target');
  api = apiClient(app, merchant.secretKey);
  // only the IP rule is under test: card and email velocity out of the way
  await saveRiskSettings(getDb(), merchant.merchant.id, { ...DEFAULT_RISK_SETTINGS, maxAttemptsPerCardPerDay: 1000, maxAttemptsPerEmailPerDay: 1000 });
});
afterEach(() => setEnv({ TRUST_PROXY: 'loopback', RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY: undefined }));

async function newSession(): Promise<{ id: string; payment_intent: string }> {
  return createTestCheckoutSession(api, { success_url: 'https://shop.example/success' });
}

async function pay(number: string, headers: Record<string, string> = {}) {
  const cs = await newSession();
  const token = await tokenizeCard(app, number, { merchantId: merchant.merchant.id });
  const res = await fetch(`${app.url}/api/pay/${cs.id}/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID(), ...headers },
    body: JSON.stringify({ token, email: `buyer-${crypto.randomUUID()}@example.test` }),
  });
  const body = (await res.json()) as any;
  const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
  return { status: res.status, code: body.error?.code as string | undefined, body, attempt };
}

let counter = 1;
const rotating = () => `198.18.${Math.floor(counter / 250)}.${(counter++ % 250) + 1}`;

describe('pay page: X-Forwarded-For spoofing', () => {
  it('with TRUST_PROXY off, rotating X-Forwarded-For / X-Real-IP cannot bypass the 5 retries per IP', async () => {
    setEnv({ TRUST_PROXY: undefined });
    for (let i = 0; i < 5; i++) {
      const res = await pay(DECLINE, { 'x-forwarded-for': rotating(), 'x-real-ip': rotating() });
      expect(res.code).toBe('card_declined');
      expect(res.attempt?.customerIp).toBe('127.0.0.1');
    }
    const sixth = await pay(GOOD, { 'x-forwarded-for': rotating(), 'x-real-ip': rotating() });
    expect(sixth.code).toBe('payment_blocked');
    expect(sixth.attempt).toMatchObject({ customerIp: '127.0.0.1', riskReasons: ['too_many_attempts_ip'] });
  });

  it('with TRUST_PROXY=1, the right-most untrusted hop is the client; a prepended fake address changes nothing', async () => {
    setEnv({ TRUST_PROXY: '1' });
    const real = '203.0.113.50';
    for (let i = 0; i < 5; i++) {
      const res = await pay(DECLINE, { 'x-forwarded-for': `${rotating()}, ${real}` });
      expect(res.code).toBe('card_declined');
      expect(res.attempt?.customerIp).toBe(real);
    }
    const sixth = await pay(GOOD, { 'x-forwarded-for': `${rotating()}, ${rotating()}, ${real}` });
    expect(sixth.code).toBe('payment_blocked');
    expect(sixth.attempt?.riskReasons).toEqual(['too_many_attempts_ip']);
    // another client behind the same proxy is someone else
    expect((await pay(GOOD, { 'x-forwarded-for': '203.0.113.51' })).body.status).toBe('succeeded');
  });

  it.each([['not-an-ip'], ['999.1.1.1'], [''], ['1.2.3.4.5, ::zz'], [null]])(
    'an unparsable or missing X-Forwarded-For (%j) never skips the rule: the nearest address counts',
    async (garbage) => {
      setEnv({ TRUST_PROXY: '1' });
      const headers: Record<string, string> = garbage === null ? {} : { 'x-forwarded-for': garbage };
      for (let i = 0; i < 5; i++) {
        const res = await pay(DECLINE, headers);
        expect(res.attempt?.customerIp).toBe('127.0.0.1');
      }
      expect((await pay(GOOD, headers)).code).toBe('payment_blocked');
    },
  );
});

describe('per-IP limit counts retries, not sales (item 6)', () => {
  it('allows more than five successful payments from one IP, and blocks the sixth failed or blocked retry', async () => {
    setEnv({ TRUST_PROXY: undefined });
    for (let i = 0; i < 8; i++) expect((await pay(GOOD)).body.status).toBe('succeeded');
    for (let i = 0; i < 5; i++) expect((await pay(DECLINE)).code).toBe('card_declined');
    const blocked = await pay(GOOD);
    expect(blocked.code).toBe('payment_blocked');
    expect(blocked.attempt?.riskReasons).toEqual(['too_many_attempts_ip']);
    // the blocked attempt is a retry too: still blocked
    expect((await pay(GOOD)).code).toBe('payment_blocked');
  });

  it('keeps a ceiling on all attempts per IP (successful ones too)', async () => {
    setEnv({ TRUST_PROXY: undefined, RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY: '7' });
    for (let i = 0; i < 7; i++) expect((await pay(GOOD)).body.status).toBe('succeeded');
    const eighth = await pay(GOOD);
    expect(eighth.code).toBe('payment_blocked');
    expect(eighth.attempt?.riskReasons).toEqual(['too_many_total_attempts_ip']);
    expect(eighth.body.error.message).toMatch(/Too many payments from this IP address today/);
  });
});

describe('API customer_ip', () => {
  it.each(['not-an-ip', '1.2.3.4.5', '::ffff:zz', '10.0.0.1/8', ' 10.0.0.1', '127.1'])('%j is a 400 naming customer_ip', async (value) => {
    const pi = await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' });
    const token = await tokenizeCard(app, GOOD, { merchantId: merchant.merchant.id });
    const res = await api.post(`/api/v1/payment_intents/${pi.body.id}/confirm`, { payment_method: token, customer_ip: value });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: 'customer_ip' });
    expect((await api.get(`/api/v1/payment_intents/${pi.body.id}`)).body.status).toBe('requires_payment_method');
  });

  it('stays optional, and a valid one is what the risk rules see', async () => {
    const pi = await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' });
    const res = await api.post(`/api/v1/payment_intents/${pi.body.id}/confirm`, { payment_method: await tokenizeCard(app, GOOD, { merchantId: merchant.merchant.id }), customer_ip: '::ffff:198.51.100.9' });
    expect(res.status).toBe(200);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.body.id));
    expect(attempt?.customerIp).toBe('198.51.100.9');
  });
});

describe('dashboard sign-in: password spraying with rotating headers', () => {
  // next-auth calls the credentials provider's authorize(credentials, req) with the request's
  // headers; this server hands it exactly the headers that arrived (with the peer appended).
  let signIn: FetchServer;
  beforeAll(async () => {
    const provider = authOptions.providers[0] as unknown as { options: { authorize: (c: unknown, r: unknown) => Promise<unknown> } };
    signIn = await startFetchServer(async (request) => {
      const credentials = (await request.json()) as unknown;
      try {
        const user = await provider.options.authorize(credentials, { headers: Object.fromEntries(request.headers) });
        return Response.json({ ok: user !== null });
      } catch (err) {
        return Response.json({ error: (err as Error).message }, { status: 429 });
      }
    });
  });
  afterAll(() => signIn.close());

  it(`throttles the real client after ${LOGIN_LIMIT.maxFailures} failures, whatever X-Forwarded-For says`, async () => {
    setEnv({ TRUST_PROXY: undefined });
    const attempt = (email: string) =>
      fetch(signIn.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': rotating(), 'x-real-ip': rotating() },
        body: JSON.stringify({ email, password: 'Summer2026!' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { ok?: boolean; error?: string } }));
    // one password against many accounts, a new forwarded address each time
    for (let i = 0; i < LOGIN_LIMIT.maxFailures; i++) {
      expect(await attempt(`victim-${i}-${crypto.randomUUID()}@example.test`)).toEqual({ status: 200, body: { ok: false } });
    }
    const next = await attempt(`victim-next-${crypto.randomUUID()}@example.test`);
    expect(next).toEqual({ status: 429, body: { error: RATE_LIMIT_MESSAGE } });
  });
});
