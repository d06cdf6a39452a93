import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { startFetchServer, type FetchServer } from './fetch-server';

/**
 * A local fake of the few Stripe API endpoints paykit calls, so tests drive the real `stripe` SDK
 * offline: payment methods (Stripe's pm_card_* test ids), PaymentIntents (create + confirm,
 * capture, cancel, retrieve), refunds and the balance transactions they book (Stripe's list shape,
 * created[gte|gt|lte|lt] filters, limit/starting_after paging, expand[]=data.source). Bodies are form-encoded as the SDK sends them, and an
 * Idempotency-Key is honoured as Stripe does: the same key replays the first response.
 */

interface FakeCard {
  brand: string;
  last4: string;
  outcome: 'succeed' | 'decline' | '3ds';
  declineCode?: string;
}

const TEST_CARDS: Record<string, FakeCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242', outcome: 'succeed' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: 'succeed' },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', outcome: 'decline', declineCode: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', outcome: 'decline', declineCode: 'insufficient_funds' },
  pm_card_threeDSecure2Required: { brand: 'visa', last4: '3220', outcome: '3ds' },
};

type Json = Record<string, unknown>;

export interface FakePaymentIntent extends Json {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  capture_method: 'automatic' | 'manual';
  status: string;
  payment_method: string;
  metadata: Record<string, string>;
  next_action: Json | null;
  last_payment_error: Json | null;
  latest_charge: string;
}

export interface FakeRefund extends Json {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  charge: string;
  status: string;
  metadata: Record<string, string>;
}

export interface FakeBalanceTransaction extends Json {
  id: string;
  object: 'balance_transaction';
  type: 'charge' | 'refund';
  amount: number;
  fee: number;
  net: number;
  currency: string;
  /** The charge (ch_) or refund (re_) id that booked it. */
  source: string;
  created: number;
  available_on: number;
  status: 'pending' | 'available';
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  replayed: boolean;
}

export interface FakeStripe {
  url: string;
  secretKey: string;
  webhookSecret: string;
  paymentIntents: Map<string, FakePaymentIntent>;
  refunds: Map<string, FakeRefund>;
  /** Booked in order: one per captured PaymentIntent and one per refund that did not fail. */
  balanceTransactions: FakeBalanceTransaction[];
  requests: RecordedRequest[];
  /** The status new refunds get ('succeeded'; 'pending' to leave them to a webhook). */
  refundStatus: 'succeeded' | 'pending';
  /** The PaymentIntents created (one per charge attempt at Stripe). */
  charges(): FakePaymentIntent[];
  /** The customer finishes (or fails) the 3-D Secure challenge of an intent. */
  completeThreeDS(id: string, ok: boolean): FakePaymentIntent;
  /** A signed webhook request body and headers, as Stripe would send it. */
  webhook(type: string, object: Json, options?: { id?: string; secret?: string }): { body: string; headers: Record<string, string> };
  close(): Promise<void>;
}

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Reads a form body into nested objects: a[b]=1&c[0]=x -> {a: {b: '1'}, c: {'0': 'x'}}. */
function parseForm(text: string): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Json;
    });
  }
  return out;
}

const json = (status: number, body: unknown, extra: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'request-id': rid('req'), ...extra } });

const stripeError = (status: number, type: string, code: string, message: string, extra: Json = {}) => json(status, { error: { type, code, message, ...extra } });

export async function startFakeStripe(): Promise<FakeStripe> {
  const secretKey = `sk_test_fake_${randomBytes(8).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const paymentIntents = new Map<string, FakePaymentIntent>();
  const refunds = new Map<string, FakeRefund>();
  const balanceTransactions: FakeBalanceTransaction[] = [];
  const idempotent = new Map<string, { status: number; body: string }>();
  const requests: RecordedRequest[] = [];
  let origin = '';

  const paymentMethod = (id: string) => {
    const card = TEST_CARDS[id];
    if (!card) return undefined;
    return {
      id,
      object: 'payment_method',
      type: 'card',
      card: { brand: card.brand, last4: card.last4, exp_month: 12, exp_year: 2034, fingerprint: `fp_${id}`, country: 'US' },
    };
  };

  const view = (pi: FakePaymentIntent, expand: unknown) => {
    const wantsPm = expand && Object.values(expand as Json).includes('payment_method');
    return wantsPm ? { ...pi, payment_method: paymentMethod(pi.payment_method) ?? pi.payment_method } : pi;
  };

  function createIntent(body: Json): Response {
    const pmId = String(body.payment_method ?? '');
    const card = TEST_CARDS[pmId];
    if (!card) return stripeError(400, 'invalid_request_error', 'resource_missing', `No such PaymentMethod: '${pmId}'`, { param: 'payment_method' });
    const amount = Number(body.amount);
    const returnUrl = typeof body.return_url === 'string' ? body.return_url : null;
    const pi: FakePaymentIntent = {
      id: rid('pi'),
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency: String(body.currency),
      capture_method: body.capture_method === 'manual' ? 'manual' : 'automatic',
      status: 'requires_confirmation',
      payment_method: pmId,
      metadata: (body.metadata as Record<string, string> | undefined) ?? {},
      next_action: null,
      last_payment_error: null,
      latest_charge: rid('ch'),
    };
    paymentIntents.set(pi.id, pi);
    if (card.outcome === 'decline') {
      const lpe = { type: 'card_error', code: 'card_declined', decline_code: card.declineCode, message: 'Your card was declined.' };
      Object.assign(pi, { status: 'requires_payment_method', last_payment_error: lpe });
      return json(402, { error: { ...lpe, charge: pi.latest_charge, payment_intent: view(pi, body.expand) } });
    }
    if (card.outcome === '3ds') {
      pi.status = 'requires_action';
      pi.next_action = returnUrl
        ? { type: 'redirect_to_url', redirect_to_url: { url: `${origin}/3ds/${pi.id}`, return_url: returnUrl } }
        : { type: 'use_stripe_sdk', use_stripe_sdk: {} };
      return json(200, view(pi, body.expand));
    }
    succeed(pi);
    return json(200, view(pi, body.expand));
  }

  function succeed(pi: FakePaymentIntent) {
    pi.next_action = null;
    if (pi.capture_method === 'manual') Object.assign(pi, { status: 'requires_capture', amount_capturable: pi.amount });
    else {
      Object.assign(pi, { status: 'succeeded', amount_received: pi.amount });
      book('charge', pi.amount_received, pi.currency, pi.latest_charge);
    }
  }

  /** Stripe's US card pricing, 2.9% + 30 (minor units, half up); refunds give no fee back. */
  function book(type: 'charge' | 'refund', amount: number, currency: string, source: string) {
    const fee = type === 'charge' ? Math.floor((amount * 29 + 500) / 1000) + 30 : 0;
    const created = Math.floor(Date.now() / 1000);
    balanceTransactions.push({ id: rid('txn'), object: 'balance_transaction', type, amount, fee, net: amount - fee, currency, source, created, available_on: created + 2 * 86_400, status: 'pending' });
  }

  function expandedSource(bt: FakeBalanceTransaction): Json {
    const refund = refunds.get(bt.source);
    if (refund) return refund;
    const pi = [...paymentIntents.values()].find((p) => p.latest_charge === bt.source);
    return { id: bt.source, object: 'charge', amount: pi?.amount ?? bt.amount, amount_captured: pi?.amount_received ?? bt.amount, currency: bt.currency, payment_intent: pi?.id ?? null };
  }

  /** GET /v1/balance_transactions: newest first, as Stripe lists. */
  function listBalanceTransactions(query: Json): Response {
    const created = (query.created ?? {}) as Record<string, string>;
    const bound = (k: string) => (created[k] === undefined ? undefined : Number(created[k]));
    const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')];
    const matching = balanceTransactions
      .map((bt, seq) => ({ bt, seq }))
      .filter(({ bt }) => (gte === undefined || bt.created >= gte) && (gt === undefined || bt.created > gt) && (lte === undefined || bt.created <= lte) && (lt === undefined || bt.created < lt))
      .sort((a, b) => b.bt.created - a.bt.created || b.seq - a.seq)
      .map(({ bt }) => bt);
    const limit = Math.min(100, Math.max(1, Number(query.limit ?? 10)));
    const after = typeof query.starting_after === 'string' ? matching.findIndex((bt) => bt.id === query.starting_after) + 1 : 0;
    const page = matching.slice(after, after + limit);
    const expandSource = query.expand !== undefined && Object.values(query.expand as Json).includes('data.source');
    return json(200, {
      object: 'list',
      url: '/v1/balance_transactions',
      has_more: after + limit < matching.length,
      data: page.map((bt) => (expandSource ? { ...bt, source: expandedSource(bt) } : bt)),
    });
  }

  function handle(method: string, path: string, body: Json): Response {
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) {
      const pm = paymentMethod(decodeURIComponent(m[1]!));
      return pm ? json(200, pm) : stripeError(404, 'invalid_request_error', 'resource_missing', `No such PaymentMethod: '${m[1]}'`);
    }
    if (method === 'POST' && path === '/v1/payment_intents') return createIntent(body);
    if ((m = /^\/v1\/payment_intents\/([^/]+)(\/capture|\/cancel)?$/.exec(path))) {
      const pi = paymentIntents.get(m[1]!);
      if (!pi) return stripeError(404, 'invalid_request_error', 'resource_missing', `No such payment_intent: '${m[1]}'`);
      if (method === 'GET') return json(200, view(pi, body.expand));
      if (m[2] === '/capture') {
        if (pi.status !== 'requires_capture') return stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state', `This PaymentIntent could not be captured because it has a status of ${pi.status}.`);
        const amount = body.amount_to_capture === undefined ? pi.amount_capturable : Number(body.amount_to_capture);
        Object.assign(pi, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
        book('charge', amount, pi.currency, pi.latest_charge);
        return json(200, view(pi, body.expand));
      }
      if (m[2] === '/cancel') {
        if (!['requires_payment_method', 'requires_capture', 'requires_action', 'requires_confirmation'].includes(pi.status)) {
          return stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state', `You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`);
        }
        Object.assign(pi, { status: 'canceled', amount_capturable: 0, next_action: null });
        return json(200, view(pi, body.expand));
      }
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const pi = paymentIntents.get(String(body.payment_intent));
      if (!pi) return stripeError(404, 'invalid_request_error', 'resource_missing', `No such payment_intent: '${String(body.payment_intent)}'`);
      const refunded = [...refunds.values()].filter((r) => r.payment_intent === pi.id).reduce((s, r) => s + r.amount, 0);
      const amount = body.amount === undefined ? pi.amount_received - refunded : Number(body.amount);
      if (pi.status !== 'succeeded' || amount > pi.amount_received - refunded) {
        return stripeError(400, 'invalid_request_error', 'charge_already_refunded', 'The refund amount exceeds what is left to refund.');
      }
      const refund: FakeRefund = {
        id: rid('re'),
        object: 'refund',
        amount,
        currency: pi.currency,
        payment_intent: pi.id,
        charge: pi.latest_charge,
        status: fake.refundStatus,
        metadata: (body.metadata as Record<string, string> | undefined) ?? {},
      };
      refunds.set(refund.id, refund);
      book('refund', -amount, refund.currency, refund.id);
      return json(200, refund);
    }
    if (method === 'GET' && path === '/v1/balance_transactions') return listBalanceTransactions(body);
    if (method === 'GET' && (m = /^\/v1\/refunds\/([^/]+)$/.exec(path))) {
      const refund = refunds.get(m[1]!);
      return refund ? json(200, refund) : stripeError(404, 'invalid_request_error', 'resource_missing', `No such refund: '${m[1]}'`);
    }
    return stripeError(404, 'invalid_request_error', 'resource_missing', `Unrecognized request URL (${method}: ${path}).`);
  }

  const server: FetchServer = await startFetchServer(async (request) => {
    const url = new URL(request.url);
    if (request.headers.get('authorization') !== `Bearer ${secretKey}`) {
      return stripeError(401, 'invalid_request_error', 'api_key_invalid', 'Invalid API Key provided.');
    }
    const text = request.method === 'GET' ? url.search.slice(1) : await request.text();
    const body = parseForm(text);
    const key = request.headers.get('idempotency-key');
    const cacheKey = key && request.method === 'POST' ? `${url.pathname} ${key}` : null;
    const cached = cacheKey ? idempotent.get(cacheKey) : undefined;
    requests.push({ method: request.method, path: url.pathname, idempotencyKey: key, replayed: cached !== undefined });
    if (cached) return new Response(cached.body, { status: cached.status, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' } });
    const response = handle(request.method, url.pathname, body);
    const responseBody = await response.text();
    // Stripe stores the result of a keyed request, errors included (except 5xx and 429).
    if (cacheKey && response.status < 500 && response.status !== 429) idempotent.set(cacheKey, { status: response.status, body: responseBody });
    return new Response(responseBody, { status: response.status, headers: response.headers });
  });
  origin = server.url;

  const fake: FakeStripe = {
    url: server.url,
    secretKey,
    webhookSecret,
    paymentIntents,
    refunds,
    balanceTransactions,
    requests,
    refundStatus: 'succeeded',
    charges: () => [...paymentIntents.values()],
    completeThreeDS(id, ok) {
      const pi = paymentIntents.get(id);
      if (!pi || pi.status !== 'requires_action') throw new Error(`fake stripe: ${id} is not waiting for 3-D Secure`);
      if (ok) succeed(pi);
      else {
        Object.assign(pi, {
          status: 'requires_payment_method',
          next_action: null,
          last_payment_error: { type: 'card_error', code: 'payment_intent_authentication_failure', message: 'Authentication failed.' },
        });
      }
      return pi;
    },
    webhook(type, object, options = {}) {
      const body = JSON.stringify({
        id: options.id ?? rid('evt'),
        object: 'event',
        api_version: '2025-01-01',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        type,
        data: { object },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? webhookSecret });
      return { body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } };
    },
    close: () => server.close(),
  };
  return fake;
}
