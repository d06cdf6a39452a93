import { afterEach, describe, expect, it } from 'vitest';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { createSandboxCardAdapter, SANDBOX_CARD_CAPABILITIES } from './sandbox-card';
import { PspError } from './types';

// The adapter against small fake acquirers on local ports: wire mapping and failure mapping.
// The real sandbox network is exercised end to end in tests/integration/sandbox-card-network.test.ts.

const ACQUIRER_KEY = 'sbx_test_acquirer_key_123456';
const servers: FetchServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: (request: Request) => Response | Promise<Response>): Promise<string> {
  const server = await startFetchServer(handler);
  servers.push(server);
  return server.url;
}

function adapterAt(baseUrl: string, timeoutMs = 2_000, fetchImpl?: typeof fetch) {
  return createSandboxCardAdapter({ baseUrl, acquirerKey: ACQUIRER_KEY, timeoutMs, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}

async function failureOf(promise: Promise<unknown>): Promise<PspError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PspError);
  return error as PspError;
}

const AUTHORIZE = {
  idempotencyKey: 'idem_abc',
  amount: 1234,
  currency: 'eur',
  token: 'tok_1',
  capture: false,
  returnUrl: 'https://m.example/return?x=1',
};

const WIRE_PAYMENT = {
  id: 'sbxpay_1',
  object: 'payment',
  status: 'requires_action',
  amount: 1234,
  amount_captured: 0,
  currency: 'eur',
  card: { brand: 'visa', last4: '3184', exp_month: 1, exp_year: 2040, fingerprint: 'fp_1' },
  next_action: { type: 'redirect_to_url', redirect_url: 'https://sbx.example/sandbox/3ds/sbxpay_1' },
};

describe('sandbox card adapter: the wire', () => {
  it('asks for uncompressed answers (a gzip of a few hundred bytes costs CPU at both ends of the hop)', async () => {
    const encodings: (string | null)[] = [];
    const url = await serve((request) => {
      encodings.push(request.headers.get('accept-encoding'));
      return Response.json(WIRE_PAYMENT);
    });
    const adapter = adapterAt(url);
    await adapter.authorize({ ...AUTHORIZE, merchantId: 'mer_1' });
    await adapter.retrieve('sbxpay_1');
    expect(encodings).toEqual(['identity', 'identity']);
  });

  it('sends the acquirer key, the idempotency key and the body, and maps the payment', async () => {
    const seen: { method: string; path: string; headers: Headers; body: string }[] = [];
    const url = await serve(async (request) => {
      seen.push({
        method: request.method,
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: await request.text(),
      });
      return Response.json(WIRE_PAYMENT);
    });
    const payment = await adapterAt(url).authorize(AUTHORIZE);
    expect(payment).toEqual({
      pspReference: 'sbxpay_1',
      status: 'requires_action',
      amount: 1234,
      amountCaptured: 0,
      currency: 'eur',
      card: { brand: 'visa', last4: '3184', expMonth: 1, expYear: 2040, fingerprint: 'fp_1' },
      redirectUrl: 'https://sbx.example/sandbox/3ds/sbxpay_1',
    });
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/api/sandbox/card/v1/payments');
    expect(request?.headers.get('authorization')).toBe(`Bearer ${ACQUIRER_KEY}`);
    expect(request?.headers.get('idempotency-key')).toBe('idem_abc');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      token: 'tok_1',
      amount: 1234,
      currency: 'eur',
      capture: false,
      return_url: 'https://m.example/return?x=1',
    });
  });

  it('passes the idempotency key on capture and cancel, and none on reads', async () => {
    const seen: { path: string; key: string | null; body: string }[] = [];
    const url = await serve(async (request) => {
      seen.push({ path: new URL(request.url).pathname, key: request.headers.get('idempotency-key'), body: await request.text() });
      return Response.json({ ...WIRE_PAYMENT, status: 'captured', amount_captured: 500, next_action: undefined });
    });
    const adapter = adapterAt(url);
    await adapter.capture('sbxpay_1', 500, 'cap_key');
    await adapter.cancel('sbxpay_1', 'cancel_key');
    await adapter.retrieve('sbxpay_1');
    expect(seen).toEqual([
      { path: '/api/sandbox/card/v1/payments/sbxpay_1/capture', key: 'cap_key', body: '{"amount":500}' },
      { path: '/api/sandbox/card/v1/payments/sbxpay_1/cancel', key: 'cancel_key', body: '{}' },
      { path: '/api/sandbox/card/v1/payments/sbxpay_1', key: null, body: '' },
    ]);
  });
});

describe('sandbox card adapter: refunds', () => {
  const WIRE_REFUND = {
    id: 'sbxre_1',
    object: 'refund',
    payment: 'sbxpay_1',
    amount: 400,
    currency: 'eur',
    status: 'succeeded',
    created: 1_800_000_000,
  };

  it('posts the amount with the idempotency key, reads without one, and maps the refund', async () => {
    const seen: { method: string; path: string; key: string | null; auth: string | null; body: string }[] = [];
    const url = await serve(async (request) => {
      seen.push({
        method: request.method,
        path: new URL(request.url).pathname,
        key: request.headers.get('idempotency-key'),
        auth: request.headers.get('authorization'),
        body: await request.text(),
      });
      return Response.json(WIRE_REFUND);
    });
    const adapter = adapterAt(url);
    const expected = { pspReference: 'sbxre_1', paymentReference: 'sbxpay_1', status: 'succeeded', amount: 400, currency: 'eur' };
    expect(await adapter.refund('sbxpay_1', 400, 'refund_key')).toEqual(expected);
    expect(await adapter.retrieveRefund('sbxre_1')).toEqual(expected);
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/api/sandbox/card/v1/payments/sbxpay_1/refunds',
        key: 'refund_key',
        auth: `Bearer ${ACQUIRER_KEY}`,
        body: '{"amount":400}',
      },
      { method: 'GET', path: '/api/sandbox/card/v1/refunds/sbxre_1', key: null, auth: `Bearer ${ACQUIRER_KEY}`, body: '' },
    ]);
  });

  it('maps a failed refund with its reason', async () => {
    const url = await serve(() =>
      Response.json({ ...WIRE_REFUND, status: 'failed', failure_reason: 'expired_or_canceled_card' }),
    );
    expect(await adapterAt(url).retrieveRefund('sbxre_1')).toMatchObject({
      status: 'failed',
      failureReason: 'expired_or_canceled_card',
    });
  });

  it('maps failures like every other call', async () => {
    const refused = await serve(() =>
      Response.json({ error: { type: 'invalid_request_error', code: 'amount_too_large', message: 'too much' } }, { status: 400 }),
    );
    const rejection = await failureOf(adapterAt(refused).refund('sbxpay_1', 5_000, 'k1'));
    expect(rejection).toMatchObject({ kind: 'rejected', requestSent: true, httpStatus: 400 });
    expect(rejection.message).toContain('amount_too_large');
    const down = await serve(() => new Response('oops', { status: 503 }));
    expect(await failureOf(adapterAt(down).refund('sbxpay_1', 1, 'k2'))).toMatchObject({ kind: 'server_error', httpStatus: 503 });
    const hanging = await serve(() => new Promise<Response>(() => undefined));
    expect(await failureOf(adapterAt(hanging, 200).refund('sbxpay_1', 1, 'k3'))).toMatchObject({
      kind: 'timeout',
      requestSent: true,
    });
    const payment = await serve(() => Response.json(WIRE_PAYMENT));
    expect(await failureOf(adapterAt(payment).retrieveRefund('sbxre_1'))).toMatchObject({ kind: 'bad_response' });
    const missing = await serve(() => Response.json({ error: { code: 'resource_missing' } }, { status: 404 }));
    expect(await failureOf(adapterAt(missing).retrieveRefund('sbxre_x'))).toMatchObject({ kind: 'rejected', httpStatus: 404 });
  });
});

describe('sandbox card adapter: capabilities and settlement report', () => {
  it('declares cards in every paykit currency, synchronous, with 3-D Secure and refunds', () => {
    const adapter = adapterAt('http://127.0.0.1:1');
    expect(adapter.capabilities).toBe(SANDBOX_CARD_CAPABILITIES);
    expect(SANDBOX_CARD_CAPABILITIES).toEqual({ methods: ['card'], currencies: ['usd', 'eur', 'gbp', 'kes', 'jpy'], asynchronous: false, threeDSecure: true, refunds: true });
  });

  it('asks for the window with the acquirer key and maps each line', async () => {
    const seen: { url: URL; auth: string | null }[] = [];
    const available = Date.UTC(2026, 0, 2) / 1000;
    const url = await serve((request) => {
      seen.push({ url: new URL(request.url), auth: request.headers.get('authorization') });
      return Response.json({
        object: 'list',
        has_more: false,
        data: [
          { id: 'sbxpay_1', object: 'settlement_line', type: 'charge', amount: 6001, fee: 90, net: 5911, currency: 'usd', payment: 'sbxpay_1', created: available - 3600, available_on: available },
          { id: 'sbxre_1', object: 'settlement_line', type: 'refund', amount: -2000, fee: 0, net: -2000, currency: 'usd', payment: 'sbxpay_1', created: available - 60, available_on: available },
        ],
      });
    });
    const range = { from: new Date('2026-01-01T00:00:00.000Z'), to: new Date('2026-01-02T00:00:00.000Z') };
    const lines = await adapterAt(url).settlementReport!(range);
    expect(seen[0]?.url.pathname).toBe('/api/sandbox/card/v1/settlements');
    expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' });
    expect(seen[0]?.auth).toBe(`Bearer ${ACQUIRER_KEY}`);
    expect(lines).toEqual([
      { pspReference: 'sbxpay_1', type: 'charge', amountMinor: 6001, feeMinor: 90, netMinor: 5911, currency: 'usd', paymentReference: 'sbxpay_1', availableOn: new Date('2026-01-02T00:00:00Z') },
      { pspReference: 'sbxre_1', type: 'refund', amountMinor: -2000, feeMinor: 0, netMinor: -2000, currency: 'usd', paymentReference: 'sbxpay_1', availableOn: new Date('2026-01-02T00:00:00Z') },
    ]);
  });

  it('maps an unexpected report shape to bad_response', async () => {
    const url = await serve(() => Response.json({ object: 'list', data: [{ id: 'x', type: 'mystery' }] }));
    const error = await failureOf(adapterAt(url).settlementReport!({ from: new Date(0), to: new Date() }));
    expect(error.kind).toBe('bad_response');
  });
});

describe('sandbox card adapter: failures', () => {
  it('maps a refused connection to unreachable, request not sent', async () => {
    const server = await startFetchServer(() => new Response('never'));
    await server.close();
    const error = await failureOf(adapterAt(server.url).retrieve('sbxpay_1'));
    expect(error).toMatchObject({ kind: 'unreachable', requestSent: false });
  });

  it('maps a DNS failure to unreachable, request not sent', async () => {
    const dnsFailure: typeof fetch = () =>
      Promise.reject(
        Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
        }),
      );
    const error = await failureOf(adapterAt('http://sandbox.invalid', 2_000, dnsFailure).authorize(AUTHORIZE));
    expect(error).toMatchObject({ kind: 'unreachable', requestSent: false });
  });

  it('treats a connection reset as possibly sent', async () => {
    const reset: typeof fetch = () =>
      Promise.reject(
        Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        }),
      );
    const error = await failureOf(adapterAt('http://127.0.0.1:1', 2_000, reset).authorize(AUTHORIZE));
    expect(error).toMatchObject({ kind: 'unreachable', requestSent: true });
  });

  it('maps a server that never answers to timeout, request sent', async () => {
    const url = await serve(() => new Promise<Response>(() => undefined));
    const started = Date.now();
    const error = await failureOf(adapterAt(url, 200).authorize(AUTHORIZE));
    expect(error).toMatchObject({ kind: 'timeout', requestSent: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('maps 5xx to server_error, request sent', async () => {
    const url = await serve(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const error = await failureOf(adapterAt(url).authorize(AUTHORIZE));
    expect(error).toMatchObject({ kind: 'server_error', requestSent: true, httpStatus: 502 });
  });

  it('maps an unparseable or unexpected 2xx body to bad_response', async () => {
    const html = await serve(() => new Response('<html>hello</html>', { status: 200 }));
    expect(await failureOf(adapterAt(html).retrieve('sbxpay_1'))).toMatchObject({ kind: 'bad_response', requestSent: true });
    const wrongShape = await serve(() => Response.json({ id: 'sbxpay_1', status: 'paid' }));
    expect(await failureOf(adapterAt(wrongShape).retrieve('sbxpay_1'))).toMatchObject({ kind: 'bad_response' });
  });

  it('maps other 4xx to rejected with the status and the error code', async () => {
    const url = await serve(() =>
      Response.json(
        { error: { type: 'idempotency_error', code: 'idempotency_key_reused', message: 'different body' } },
        { status: 400 },
      ),
    );
    const error = await failureOf(adapterAt(url).authorize(AUTHORIZE));
    expect(error).toMatchObject({ kind: 'rejected', requestSent: true, httpStatus: 400 });
    expect(error.message).toContain('idempotency_key_reused');
  });
});
