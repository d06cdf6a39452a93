import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getSql } from '@/db/client';
import { env, resetEnvCache } from '@/lib/env';
import { createSandboxCardAdapter } from '@/lib/psp/sandbox-card';
import { PspError, type CardPspAdapter } from '@/lib/psp/types';
import { handleSandboxCardRequest } from '@/sandbox/card';
import { CALLBACK_SIGNATURE_HEADER, sandboxCallbackSecret, signCallback } from '@/sandbox/card/callbacks';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { tokenizeCard } from '../helpers/test-app';

const API = '/api/sandbox/card/v1';
const NEXT_YEAR = new Date().getUTCFullYear() + 1;

let server: FetchServer;
let adapter: CardPspAdapter;
let keyCounter = 0;

beforeAll(async () => {
  server = await startFetchServer(handleSandboxCardRequest);
  // The sandbox builds its 3-D Secure URLs from SANDBOX_CARD_URL: point it at this server.
  process.env.SANDBOX_CARD_URL = server.url;
  resetEnvCache();
  adapter = createSandboxCardAdapter({ timeoutMs: 10_000 });
});

afterAll(async () => {
  await server.close();
  delete process.env.SANDBOX_CARD_URL;
  resetEnvCache();
});

function uniqueKey(): string {
  keyCounter += 1;
  return `idem_${Date.now()}_${keyCounter}`;
}

function api(
  path: string,
  init: { method?: string; key?: string | null; body?: unknown; rawBody?: string; idempotencyKey?: string } = {},
) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const key = init.key === undefined ? env().SANDBOX_ACQUIRER_KEY : init.key;
  if (key) headers.Authorization = `Bearer ${key}`;
  if (init.idempotencyKey) headers['Idempotency-Key'] = init.idempotencyKey;
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  return fetch(`${server.url}${API}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body ? { body } : {}),
  });
}

function tokenizeRaw(card: Record<string, unknown>) {
  return api('/tokens', {
    key: env().SANDBOX_PUBLISHABLE_KEY,
    body: { exp_month: 12, exp_year: NEXT_YEAR, cvc: '123', ...card },
  });
}

/** The platform account's token (no Sandbox-Account): the adapter charges as the platform. */
const tokenize = (number: string) => tokenizeCard(server, number, { expYear: NEXT_YEAR });

function authorize(token: string, overrides: Partial<Parameters<CardPspAdapter['authorize']>[0]> = {}) {
  return adapter.authorize({
    idempotencyKey: uniqueKey(),
    amount: 1000,
    currency: 'usd',
    token,
    capture: true,
    returnUrl: 'https://merchant.example/pay/cs_123?step=return',
    ...overrides,
  });
}

async function expectPspError(promise: Promise<unknown>, kind: PspError['kind'], httpStatus?: number): Promise<PspError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PspError);
  const pspError = error as PspError;
  expect(pspError.kind).toBe(kind);
  if (httpStatus !== undefined) expect(pspError.httpStatus).toBe(httpStatus);
  return pspError;
}

async function paymentRowCount(idempotencyKey: string): Promise<number> {
  const [row] = await getSql()`select count(*)::int as n from sandbox_card_payments where idempotency_key = ${idempotencyKey}`;
  return row!.n as number;
}

describe('tokenizer', () => {
  it('returns a token with brand, last4, expiry and fingerprint, and never echoes the number', async () => {
    const response = await tokenizeRaw({ number: '4242 4242 4242 4242' });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('4242424242424242');
    const token = JSON.parse(text);
    expect(token).toMatchObject({ object: 'token', card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: NEXT_YEAR } });
    expect(token.id).toMatch(/^tok_/);
    expect(token.risk_level).toBeUndefined();
  });

  it('gives the same card the same fingerprint and another card a different one', async () => {
    const fingerprintOf = async (number: string) =>
      ((await (await tokenizeRaw({ number })).json()) as { card: { fingerprint: string } }).card.fingerprint;
    const first = await fingerprintOf('4242424242424242');
    expect(await fingerprintOf('4242424242424242')).toBe(first);
    expect(await fingerprintOf('4000000000000002')).not.toBe(first);
  });

  it.each([
    ['mastercard 5-series', '5555555555554444', 'mastercard'],
    ['mastercard 2-series', '2223003122003222', 'mastercard'],
    ['amex', '378282246310005', 'amex'],
    ['other visa', '4012888888881881', 'visa'],
  ])('routes %s to its brand', async (_label, number, brand) => {
    const response = await tokenizeRaw({ number, cvc: brand === 'amex' ? '1234' : '123' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { card: { brand: string } }).card.brand).toBe(brand);
  });

  it.each([
    ['fails the Luhn check', { number: '4242424242424241' }, 'incorrect_number', 'number'],
    ['has letters', { number: '4242abcd42424242' }, 'incorrect_number', 'number'],
    ['is missing', { number: undefined }, 'incorrect_number', 'number'],
    ['has a brand the network does not carry', { number: '6011111111111117' }, 'unsupported_brand', 'number'],
    ['has month 13', { number: '4242424242424242', exp_month: 13 }, 'invalid_expiry_month', 'exp_month'],
    ['expired last year', { number: '4242424242424242', exp_year: NEXT_YEAR - 2 }, 'invalid_expiry_year', 'exp_year'],
    ['has a 2-digit CVC', { number: '4242424242424242', cvc: '12' }, 'invalid_cvc', 'cvc'],
    ['has a 4-digit CVC on visa', { number: '4242424242424242', cvc: '1234' }, 'invalid_cvc', 'cvc'],
    ['has a 3-digit CVC on amex', { number: '378282246310005', cvc: '123' }, 'invalid_cvc', 'cvc'],
  ])('refuses a card that %s with a 402 card_error', async (_label, card, code, param) => {
    const response = await tokenizeRaw(card);
    expect(response.status).toBe(402);
    const body = (await response.json()) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ type: 'card_error', code, param });
    expect(body.error.message).toBeTruthy();
  });

  it('answers malformed JSON with 400', async () => {
    const response = await api('/tokens', { key: env().SANDBOX_PUBLISHABLE_KEY, rawBody: '{"number": ' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('requires the publishable key', async () => {
    expect((await api('/tokens', { key: 'pk_test_wrong_key', body: { number: '4242424242424242' } })).status).toBe(401);
    expect((await api('/tokens', { key: null, body: { number: '4242424242424242' } })).status).toBe(401);
  });

  it('answers CORS preflight and puts CORS headers on responses', async () => {
    const preflight = await fetch(`${server.url}${API}/tokens`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Sandbox-Account/);
    const response = await tokenizeRaw({ number: '4242424242424242' });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('acquirer API access', () => {
  it('rejects a wrong acquirer key with 401', async () => {
    const token = await tokenize('4242424242424242');
    const intruder = createSandboxCardAdapter({ acquirerKey: 'sbx_not_the_right_acquirer_key', timeoutMs: 10_000 });
    await expectPspError(intruder.retrieveCardToken(token), 'rejected', 401);
    await expectPspError(
      intruder.authorize({
        idempotencyKey: uniqueKey(),
        amount: 100,
        currency: 'usd',
        token,
        capture: true,
        returnUrl: 'https://m.example',
      }),
      'rejected',
      401,
    );
    // The publishable key may tokenize but never read tokens or charge.
    expect((await api(`/tokens/${token}`, { key: env().SANDBOX_PUBLISHABLE_KEY })).status).toBe(401);
  });

  it('returns the token with its risk level, and 404 for an unknown token', async () => {
    const token = await tokenize('5555555555554444');
    const info = await adapter.retrieveCardToken(token);
    expect(info).toMatchObject({ token, riskLevel: 'normal', card: { brand: 'mastercard', last4: '4444', expYear: NEXT_YEAR } });
    await expectPspError(adapter.retrieveCardToken('tok_doesnotexist'), 'rejected', 404);
  });

  it('refuses a payment without an Idempotency-Key', async () => {
    const token = await tokenize('4242424242424242');
    const response = await api('/payments', { body: { token, amount: 100, currency: 'usd', capture: true } });
    expect(response.status).toBe(400);
  });
});

describe('test cards through the adapter', () => {
  it.each([
    ['4242424242424242', 'captured', undefined],
    ['5555555555554444', 'captured', undefined],
    ['378282246310005', 'captured', undefined],
    ['4012888888881881', 'captured', undefined],
    ['4000000000000002', 'declined', 'generic_decline'],
    ['4000000000009995', 'declined', 'insufficient_funds'],
    ['4000000000009987', 'declined', 'lost_card'],
    ['4000000000009979', 'declined', 'stolen_card'],
    ['4000000000000069', 'declined', 'expired_card'],
    ['4000000000000127', 'declined', 'incorrect_cvc'],
    ['4000000000000119', 'declined', 'processing_error'],
    ['4000002760003184', 'requires_action', undefined],
    ['4100000000000019', 'captured', undefined],
    ['4000000000005126', 'captured', undefined],
  ])('%s -> %s %s', async (number, status, declineCode) => {
    const token = await tokenize(number);
    const payment = await authorize(token);
    expect(payment.status).toBe(status);
    expect(payment.declineCode).toBe(declineCode);
    expect(payment.amountCaptured).toBe(status === 'captured' ? 1000 : 0);
    expect(payment.card?.last4).toBe(number.slice(-4));
    if (declineCode) expect(payment.declineMessage).toBeTruthy();
  });

  it('flags 4100000000000019 as highest risk so the platform can block it before charging', async () => {
    const info = await adapter.retrieveCardToken(await tokenize('4100000000000019'));
    expect(info.riskLevel).toBe('highest');
  });
});

describe("Stripe's pm_card_* ids", () => {
  it.each([
    ['pm_card_visa', 'captured', undefined, '4242'],
    ['pm_card_mastercard', 'captured', undefined, '4444'],
    ['pm_card_amex', 'captured', undefined, '0005'],
    ['pm_card_chargeDeclined', 'declined', 'generic_decline', '0002'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'declined', 'insufficient_funds', '9995'],
    ['pm_card_chargeDeclinedLostCard', 'declined', 'lost_card', '9987'],
    ['pm_card_chargeDeclinedStolenCard', 'declined', 'stolen_card', '9979'],
    ['pm_card_chargeDeclinedExpiredCard', 'declined', 'expired_card', '0069'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'declined', 'incorrect_cvc', '0127'],
    ['pm_card_chargeDeclinedProcessingError', 'declined', 'processing_error', '0119'],
    ['pm_card_threeDSecure2Required', 'requires_action', undefined, '3184'],
    ['pm_card_radarBlock', 'captured', undefined, '0019'],
  ])('%s -> %s %s', async (pm, status, declineCode, last4) => {
    const payment = await authorize(pm);
    expect(payment).toMatchObject({ status, card: { last4 } });
    expect(payment.declineCode).toBe(declineCode);
    // Used twice, the id resolves to the same stored token.
    expect((await authorize(pm)).status).toBe(status);
  });

  it('resolves pm_card_radarBlock with risk level highest and the same fingerprint as its card', async () => {
    const info = await adapter.retrieveCardToken('pm_card_radarBlock');
    expect(info).toMatchObject({ token: 'pm_card_radarBlock', riskLevel: 'highest', card: { brand: 'visa', last4: '0019' } });
    const tokenized = await adapter.retrieveCardToken(await tokenize('4100000000000019'));
    expect(info.card.fingerprint).toBe(tokenized.card.fingerprint);
  });

  it('answers 404 for an unknown pm_card id', async () => {
    await expectPspError(adapter.retrieveCardToken('pm_card_nonsense'), 'rejected', 404);
  });
});

describe('idempotency', () => {
  it('replays the same payment for the same key and body, without a second charge', async () => {
    const token = await tokenize('4242424242424242');
    const idempotencyKey = uniqueKey();
    const first = await authorize(token, { idempotencyKey });
    const second = await authorize(token, { idempotencyKey });
    expect(second).toEqual(first);
    expect(await paymentRowCount(idempotencyKey)).toBe(1);
  });

  it('refuses the same key with a different body', async () => {
    const token = await tokenize('4242424242424242');
    const idempotencyKey = uniqueKey();
    await authorize(token, { idempotencyKey, amount: 1000 });
    await expectPspError(authorize(token, { idempotencyKey, amount: 2000 }), 'rejected', 400);
    const raw = await api('/payments', { idempotencyKey, body: { token, amount: 2000, currency: 'usd', capture: true } });
    expect(((await raw.json()) as { error: { type: string } }).error.type).toBe('idempotency_error');
    const unknownToken = await api('/payments', {
      idempotencyKey,
      body: { token: 'tok_other', amount: 1000, currency: 'usd', capture: true },
    });
    expect(((await unknownToken.json()) as { error: { type: string } }).error.type).toBe('idempotency_error');
    expect(await paymentRowCount(idempotencyKey)).toBe(1);
  });

  it('creates one payment for concurrent identical requests', async () => {
    const token = await tokenize('4242424242424242');
    const idempotencyKey = uniqueKey();
    const payments = await Promise.all(Array.from({ length: 20 }, () => authorize(token, { idempotencyKey })));
    expect(new Set(payments.map((p) => p.pspReference)).size).toBe(1);
    expect(await paymentRowCount(idempotencyKey)).toBe(1);
  });

  it('accepts only an http(s) return_url', async () => {
    const token = await tokenize('4000002760003184');
    const response = await api('/payments', {
      idempotencyKey: uniqueKey(),
      body: { token, amount: 100, currency: 'usd', capture: true, return_url: 'javascript:alert(1)' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('return_url');
  });

  it('does not store a request that failed validation', async () => {
    const idempotencyKey = uniqueKey();
    await expectPspError(authorize('tok_unknown', { idempotencyKey }), 'rejected', 400);
    expect(await paymentRowCount(idempotencyKey)).toBe(0);
    await expectPspError(authorize(await tokenize('4242424242424242'), { idempotencyKey, currency: 'xyz' }), 'rejected', 400);
    expect(await paymentRowCount(idempotencyKey)).toBe(0);
  });
});

describe('manual capture and cancel', () => {
  it('holds an authorization, captures part of it, and treats a same-amount retry as a no-op', async () => {
    const authorized = await authorize(await tokenize('4242424242424242'), { capture: false });
    expect(authorized).toMatchObject({ status: 'authorized', amount: 1000, amountCaptured: 0 });
    const captured = await adapter.capture(authorized.pspReference, 600, uniqueKey());
    expect(captured).toMatchObject({ status: 'captured', amountCaptured: 600 });
    expect(await adapter.capture(authorized.pspReference, 600, uniqueKey())).toEqual(captured);
    await expectPspError(adapter.capture(authorized.pspReference, 700, uniqueKey()), 'rejected', 400);
    expect(await adapter.retrieve(authorized.pspReference)).toEqual(captured);
  });

  it('refuses to capture more than was authorized', async () => {
    const authorized = await authorize(await tokenize('4242424242424242'), { capture: false });
    await expectPspError(adapter.capture(authorized.pspReference, 1001, uniqueKey()), 'rejected', 400);
    expect((await adapter.retrieve(authorized.pspReference)).status).toBe('authorized');
  });

  it('captures the full amount when none is given', async () => {
    const authorized = await authorize(await tokenize('4242424242424242'), { capture: false });
    const response = await api(`/payments/${authorized.pspReference}/capture`, { method: 'POST', idempotencyKey: uniqueKey() });
    expect(await response.json()).toMatchObject({ status: 'captured', amount_captured: 1000 });
  });

  it('cancels an authorization once, returns the same result again, and then refuses to capture', async () => {
    const authorized = await authorize(await tokenize('4242424242424242'), { capture: false });
    const canceled = await adapter.cancel(authorized.pspReference, uniqueKey());
    expect(canceled.status).toBe('canceled');
    expect(await adapter.cancel(authorized.pspReference, uniqueKey())).toEqual(canceled);
    await expectPspError(adapter.capture(authorized.pspReference, 1000, uniqueKey()), 'rejected', 400);
  });

  it('refuses to cancel a captured payment or capture a declined one', async () => {
    const captured = await authorize(await tokenize('4242424242424242'));
    await expectPspError(adapter.cancel(captured.pspReference, uniqueKey()), 'rejected', 400);
    const declined = await authorize(await tokenize('4000000000000002'), { capture: false });
    await expectPspError(adapter.capture(declined.pspReference, 1000, uniqueKey()), 'rejected', 400);
  });

  it('answers 404 for an unknown payment', async () => {
    await expectPspError(adapter.retrieve('sbxpay_unknown'), 'rejected', 404);
  });
});

describe('3-D Secure', () => {
  function completeChallenge(paymentId: string, result: string) {
    // The cardholder's browser calls this; no acquirer key.
    return api(`/payments/${paymentId}/3ds`, { key: null, body: { result } });
  }

  it('asks for a challenge on the sandbox 3DS page', async () => {
    const payment = await authorize(await tokenize('4000002760003184'));
    expect(payment.status).toBe('requires_action');
    expect(payment.redirectUrl).toBe(`${server.url}/sandbox/3ds/${payment.pspReference}`);
  });

  it.each([
    [true, 'captured', 1000],
    [false, 'authorized', 0],
  ])('with capture=%s, a completed challenge lets the issuer approve -> %s', async (capture, status, amountCaptured) => {
    const payment = await authorize(await tokenize('4000002760003184'), { capture });
    const response = await completeChallenge(payment.pspReference, 'succeeded');
    expect(response.status).toBe(200);
    expect(await adapter.retrieve(payment.pspReference)).toMatchObject({ status, amountCaptured });
    expect((await adapter.retrieve(payment.pspReference)).redirectUrl).toBeUndefined();
  });

  it('declines with authentication_failed when the challenge fails, and only accepts one answer', async () => {
    const payment = await authorize('pm_card_threeDSecure2Required');
    expect((await completeChallenge(payment.pspReference, 'failed')).status).toBe(200);
    expect(await adapter.retrieve(payment.pspReference)).toMatchObject({
      status: 'declined',
      declineCode: 'authentication_failed',
    });
    expect((await completeChallenge(payment.pspReference, 'succeeded')).status).toBe(400);
    expect((await adapter.retrieve(payment.pspReference)).status).toBe('declined');
  });

  it('refuses a challenge answer for a payment that needs none, or an unknown result', async () => {
    const payment = await authorize(await tokenize('4242424242424242'));
    expect((await completeChallenge(payment.pspReference, 'succeeded')).status).toBe(400);
    const pending = await authorize(await tokenize('4000002760003184'));
    expect((await completeChallenge(pending.pspReference, 'maybe')).status).toBe(400);
  });

  it('can cancel a payment waiting for its challenge', async () => {
    const payment = await authorize(await tokenize('4000002760003184'));
    expect((await adapter.cancel(payment.pspReference, uniqueKey())).status).toBe('canceled');
    expect((await completeChallenge(payment.pspReference, 'succeeded')).status).toBe(400);
  });
});

describe('refunds', () => {
  async function capturedPayment(number = '4242424242424242', amount = 1000) {
    const payment = await authorize(await tokenize(number), { amount });
    expect(payment.status).toBe('captured');
    return payment;
  }

  function refundRaw(paymentId: string, body: unknown, idempotencyKey: string | null = uniqueKey()) {
    return api(`/payments/${paymentId}/refunds`, { body, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  async function refundRowCount(idempotencyKey: string): Promise<number> {
    const [row] = await getSql()`select count(*)::int as n from sandbox_card_refunds where idempotency_key = ${idempotencyKey}`;
    return row!.n as number;
  }

  async function refundedSoFar(paymentId: string): Promise<number> {
    const [row] = await getSql()`
      select coalesce(sum(amount), 0)::int as n from sandbox_card_refunds where payment_id = ${paymentId} and status <> 'failed'`;
    return row!.n as number;
  }

  it('refunds a captured payment in full and answers with the refund object', async () => {
    const payment = await capturedPayment();
    const response = await refundRaw(payment.pspReference, { amount: 1000 });
    expect(response.status).toBe(200);
    const refund = (await response.json()) as Record<string, unknown>;
    expect(refund).toMatchObject({
      object: 'refund',
      payment: payment.pspReference,
      amount: 1000,
      currency: 'usd',
      status: 'succeeded',
    });
    expect(refund.id).toMatch(/^sbxre_/);
    expect(typeof refund.created).toBe('number');
    expect(refund).not.toHaveProperty('failure_reason');
    expect(await adapter.retrieveRefund(refund.id as string)).toEqual({
      pspReference: refund.id,
      paymentReference: payment.pspReference,
      status: 'succeeded',
      amount: 1000,
      currency: 'usd',
    });
  });

  it('refunds part of a payment several times, up to the captured amount and no further', async () => {
    const payment = await capturedPayment();
    expect((await adapter.refund(payment.pspReference, 300, uniqueKey())).status).toBe('succeeded');
    expect((await adapter.refund(payment.pspReference, 300, uniqueKey())).status).toBe('succeeded');
    const refused = await refundRaw(payment.pspReference, { amount: 401 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: Record<string, string> }).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'amount_too_large',
      param: 'amount',
    });
    expect((await adapter.refund(payment.pspReference, 400, uniqueKey())).amount).toBe(400);
    await expectPspError(adapter.refund(payment.pspReference, 1, uniqueKey()), 'rejected', 400);
    expect(await refundedSoFar(payment.pspReference)).toBe(1000);
  });

  it('counts only the captured part of a partly captured payment', async () => {
    const authorized = await authorize(await tokenize('4242424242424242'), { capture: false });
    await adapter.capture(authorized.pspReference, 600, uniqueKey());
    await expectPspError(adapter.refund(authorized.pspReference, 601, uniqueKey()), 'rejected', 400);
    expect((await adapter.refund(authorized.pspReference, 600, uniqueKey())).status).toBe('succeeded');
  });

  it('never refunds more than was captured when refunds race', async () => {
    const payment = await capturedPayment();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => adapter.refund(payment.pspReference, 300, uniqueKey())),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ kind: 'rejected', httpStatus: 400 });
    expect(await refundedSoFar(payment.pspReference)).toBe(900);
  });

  it('replays the same refund for the same key and body, also when the retries race', async () => {
    const payment = await capturedPayment();
    const idempotencyKey = uniqueKey();
    const first = await adapter.refund(payment.pspReference, 1000, idempotencyKey);
    // A full refund replayed is not an over-refund: it is the same refund.
    expect(await adapter.refund(payment.pspReference, 1000, idempotencyKey)).toEqual(first);
    expect(await refundRowCount(idempotencyKey)).toBe(1);

    const other = await capturedPayment();
    const racingKey = uniqueKey();
    const refunds = await Promise.all(Array.from({ length: 10 }, () => adapter.refund(other.pspReference, 700, racingKey)));
    expect(new Set(refunds.map((r) => r.pspReference)).size).toBe(1);
    expect(await refundRowCount(racingKey)).toBe(1);
    expect(await refundedSoFar(other.pspReference)).toBe(700);
  });

  it('refuses the same key with a different amount or for another payment', async () => {
    const payment = await capturedPayment();
    const idempotencyKey = uniqueKey();
    await adapter.refund(payment.pspReference, 100, idempotencyKey);
    const differentAmount = await refundRaw(payment.pspReference, { amount: 200 }, idempotencyKey);
    expect(differentAmount.status).toBe(400);
    expect(((await differentAmount.json()) as { error: Record<string, string> }).error).toMatchObject({
      type: 'idempotency_error',
      code: 'idempotency_key_reused',
    });
    const otherPayment = await capturedPayment();
    await expectPspError(adapter.refund(otherPayment.pspReference, 100, idempotencyKey), 'rejected', 400);
    expect(await refundRowCount(idempotencyKey)).toBe(1);
    expect(await refundedSoFar(otherPayment.pspReference)).toBe(0);
  });

  it.each([
    ['an authorized', async () => authorize(await tokenize('4242424242424242'), { capture: false })],
    ['a declined', async () => authorize(await tokenize('4000000000000002'))],
    ['a challenged', async () => authorize(await tokenize('4000002760003184'))],
  ])('refuses to refund %s payment', async (_label, make) => {
    const payment = await make();
    const response = await refundRaw(payment.pspReference, { amount: 100 });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payment_unexpected_state');
    expect(await refundedSoFar(payment.pspReference)).toBe(0);
  });

  it('fails refunds of 4000000000005126 (the card was closed), which then do not count', async () => {
    const payment = await capturedPayment('4000000000005126');
    const idempotencyKey = uniqueKey();
    const refund = await adapter.refund(payment.pspReference, 1000, idempotencyKey);
    expect(refund).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card', amount: 1000 });
    expect(await adapter.retrieveRefund(refund.pspReference)).toEqual(refund);
    expect(await adapter.refund(payment.pspReference, 1000, idempotencyKey)).toEqual(refund);
    expect((await adapter.refund(payment.pspReference, 1000, uniqueKey())).status).toBe('failed');
    const byTestId = await authorize('pm_card_refundFail');
    expect(byTestId).toMatchObject({ status: 'captured', card: { last4: '5126' } });
    expect((await adapter.refund(byTestId.pspReference, 10, uniqueKey())).status).toBe('failed');
  });

  it('validates the request: key, amount, payment and refund ids', async () => {
    const payment = await capturedPayment();
    expect((await refundRaw(payment.pspReference, { amount: 100 }, null)).status).toBe(400);
    expect((await refundRaw(payment.pspReference, { amount: 0 })).status).toBe(400);
    expect((await refundRaw(payment.pspReference, { amount: 1.5 })).status).toBe(400);
    expect((await refundRaw(payment.pspReference, {})).status).toBe(400);
    expect(
      (
        await api(`/payments/${payment.pspReference}/refunds`, {
          key: env().SANDBOX_PUBLISHABLE_KEY,
          idempotencyKey: uniqueKey(),
          body: { amount: 1 },
        })
      ).status,
    ).toBe(401);
    await expectPspError(adapter.refund('sbxpay_unknown', 100, uniqueKey()), 'rejected', 404);
    await expectPspError(adapter.retrieveRefund('sbxre_unknown'), 'rejected', 404);
    expect(await refundedSoFar(payment.pspReference)).toBe(0);
  });

  it('sends a signed refund.updated callback with the refund object', async () => {
    const received: { body: string; signature: string | null }[] = [];
    const tap = await startFetchServer(async (request) => {
      received.push({ body: await request.text(), signature: request.headers.get(CALLBACK_SIGNATURE_HEADER) });
      return new Response('ok');
    });
    process.env.SANDBOX_CALLBACK_URL = tap.url;
    try {
      const payment = await capturedPayment();
      const refund = await adapter.refund(payment.pspReference, 250, uniqueKey());
      await vi.waitFor(() => expect(received.some((r) => r.body.includes(refund.pspReference))).toBe(true), { timeout: 5_000 });
      const delivery = received.find((r) => r.body.includes(refund.pspReference))!;
      const event = JSON.parse(delivery.body) as { type: string; object: string; data: Record<string, unknown> };
      expect(event).toMatchObject({
        object: 'event',
        type: 'refund.updated',
        data: { id: refund.pspReference, object: 'refund', payment: payment.pspReference, amount: 250, status: 'succeeded' },
      });
      const timestampSec = Number(/t=(\d+)/.exec(delivery.signature ?? '')?.[1]);
      expect(delivery.signature).toBe(signCallback(delivery.body, sandboxCallbackSecret(), timestampSec));
      // The payment's own callbacks are unchanged.
      expect(received.some((r) => (JSON.parse(r.body) as { type: string }).type === 'payment.updated')).toBe(true);
    } finally {
      delete process.env.SANDBOX_CALLBACK_URL;
      await tap.close();
    }
  });
});

describe('card data protection', () => {
  it('keeps no PAN anywhere in the database and logs none', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    try {
      const token = await tokenize('4242424242424242');
      const payment = await authorize(token);
      expect(payment.status).toBe('captured');
      await tokenizeRaw({ number: '4242424242424241' });

      const tables = await getSql()<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
      expect(tables.map((t) => t.table_name)).toContain('sandbox_card_tokens');
      let dump = '';
      for (const { table_name } of tables) {
        const rows = await getSql().unsafe(`select t::text as row from "${table_name}" t`);
        dump += rows.map((r) => String(r.row)).join('\n');
      }
      // The BIN and last4 are stored, so the search does see card data; the full number never is.
      expect(dump).toContain('424242');
      expect(dump.includes('4242424242424242'), 'a PAN is stored').toBe(false);
      expect(dump.includes('4242424242424241'), 'a rejected PAN is stored').toBe(false);
      // A 3-digit CVC cannot be searched for in a dump; no column may hold one.
      const columns = await getSql()<{ column_name: string }[]>`
        select column_name from information_schema.columns where table_schema = 'public'`;
      expect(columns.map((c) => c.column_name).filter((name) => /(^|_)(cvc|cvv|pan|card_number)($|_)/.test(name))).toEqual([]);

      const logged = spies.flatMap((spy) => spy.mock.calls.map((call) => call.map(String).join(' '))).join('\n');
      expect(logged.includes('4242424242424242'), 'a PAN was logged').toBe(false);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
  });
});
