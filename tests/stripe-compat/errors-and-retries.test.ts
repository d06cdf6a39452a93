import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentIntents } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());
afterEach(() => {
  delete process.env.API_RATE_LIMIT_READS_PER_SECOND;
  resetEnvCache();
});

describe('errors as the SDK raises them', () => {
  it('a decline is a StripeCardError (402) with code, decline_code, doc_url and the payment intent inside', async () => {
    const err = await s.stripe.paymentIntents
      .create({ amount: 4100, currency: 'usd', confirm: true, payment_method: 'pm_card_chargeDeclinedInsufficientFunds' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    const card = err as Stripe.errors.StripeCardError;
    expect(card).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined', decline_code: 'insufficient_funds' });
    expect(card.doc_url).toBe('https://docs.stripe.com/error-codes/card-declined');
    const pi = card.payment_intent!;
    expect(pi).toMatchObject({ object: 'payment_intent', status: 'requires_payment_method', amount: 4100 });
    expect(pi.last_payment_error).toMatchObject({ code: 'card_declined', decline_code: 'insufficient_funds' });
    // the intent exists and can be paid with another card
    const retried = await s.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
  });

  it('a missing or malformed parameter is a StripeInvalidRequestError naming the param', async () => {
    const missing = await s.stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'amount' });
    const nested = await s.stripe.paymentIntents.create({ amount: 100, currency: 'usd', metadata: { ['k'.repeat(41)]: 'v' } }).catch((e: unknown) => e);
    expect(nested).toMatchObject({ statusCode: 400, param: `metadata.${'k'.repeat(41)}` });
    const confirmWithout = await s.stripe.paymentIntents.confirm((await s.stripe.paymentIntents.create({ amount: 100, currency: 'usd' })).id).catch((e: unknown) => e);
    expect(confirmWithout).toMatchObject({ code: 'parameter_missing', param: 'payment_method' });
  });

  it('one Idempotency-Key replays its first answer, and with another body is a StripeIdempotencyError', async () => {
    const idempotencyKey = `sdk-idem-${Date.now()}`;
    const first = await s.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey });
    const replay = await s.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey });
    expect(replay.id).toBe(first.id);
    const err = await s.stripe.paymentIntents.create({ amount: 101, currency: 'usd' }, { idempotencyKey }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err).toMatchObject({ statusCode: 400, code: 'idempotency_key_reused' });
  });

  it('a revoked or unknown key is a StripeAuthenticationError (401)', async () => {
    const err = await s.client('sk_test_unknownunknownunknown00').charges.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err).toMatchObject({ statusCode: 401 });
  });

  it('too many requests is a StripeRateLimitError (429)', async () => {
    process.env.API_RATE_LIMIT_READS_PER_SECOND = '2';
    resetEnvCache();
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => s.stripe.paymentIntents.list({ limit: 1 })));
    const limited = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
    expect(limited.length).toBeGreaterThan(0);
    for (const e of limited) expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
  });
});

/**
 * A proxy in front of the app that lets the first POST reach the app, then cuts the connection
 * before its answer reaches the client: a response lost on the network, after the server acted.
 */
async function lossyProxy(target: string): Promise<{ port: number; cut: number; close(): Promise<void> }> {
  const upstream = new URL(target);
  const state = { cut: 0 };
  const server: Server = createServer((req, res) => {
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      if (req.method === 'POST' && state.cut === 0) {
        state.cut += 1;
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get cut() {
      return state.cut;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('maxNetworkRetries with the SDK’s own idempotency keys', () => {
  it('a retried create after a lost answer replays the first one: one intent, the same id', async () => {
    const proxy = await lossyProxy(s.app.url);
    try {
      const stripe = new Stripe(s.merchant.secretKey, { host: '127.0.0.1', port: proxy.port, protocol: 'http', maxNetworkRetries: 2 });
      const marker = `retry-${Date.now()}`;
      const pi = await stripe.paymentIntents.create({ amount: 1234, currency: 'usd', metadata: { marker } });
      expect(proxy.cut).toBe(1);
      // the SDK generated the key and sent it on both tries; the second try was answered from the first
      expect(pi.lastResponse.idempotencyKey).toMatch(/^stripe-node-retry-/);
      expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true');
      const [{ n }] = (await getDb()
        .select({ n: sql<number>`count(*)::int` })
        .from(paymentIntents)
        .where(and(eq(paymentIntents.merchantId, s.merchant.merchant.id), sql`${paymentIntents.metadata}->>'marker' = ${marker}`))) as [{ n: number }];
      expect(n).toBe(1);
      expect((await s.stripe.paymentIntents.retrieve(pi.id)).metadata).toEqual({ marker });
    } finally {
      await proxy.close();
    }
  });
});
