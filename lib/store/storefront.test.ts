import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { prices, products } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { resetEnvCache } from '@/lib/env';
import { createMerchant } from '@/lib/merchants';
import { createStoreCheckout, getStoreOrder, listStoreProducts, type StoreCheckoutInput } from './storefront';

/**
 * A fake of our public checkout-sessions API (not of our code): it records each request and
 * answers like the real one, so the storefront is exercised over real HTTP.
 */
interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface FakeSession {
  id: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid';
  body: Record<string, unknown>;
}

class FakeApi {
  requests: RecordedRequest[] = [];
  /** Sessions by idempotency key, as the real API would replay them. */
  byKey = new Map<string, FakeSession>();
  byId = new Map<string, FakeSession>();
  nextError: { status: number; body: unknown } | undefined;
  private server = http.createServer((req, res) => void this.handle(req, res));
  private counter = 0;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests = [];
    this.byKey.clear();
    this.byId.clear();
    this.nextError = undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== `Bearer ${process.env.STORE_SECRET_KEY}`) {
      return send(401, { error: { type: 'authentication_error', code: 'api_key_invalid', message: 'Invalid API key' } });
    }
    if (this.nextError) {
      const { status, body: errBody } = this.nextError;
      this.nextError = undefined;
      return send(status, errBody);
    }
    if (req.method === 'POST' && req.url === '/api/v1/checkout/sessions') {
      const key = String(req.headers['idempotency-key']);
      const existing = this.byKey.get(key);
      if (existing) return send(200, this.render(existing, 'open'), { 'Idempotent-Replayed': 'true' });
      const input = body as Record<string, unknown>;
      const session: FakeSession = {
        id: `cs_fake${String(++this.counter).padStart(8, '0')}`,
        status: 'open',
        payment_status: 'unpaid',
        body: input,
      };
      this.byKey.set(key, session);
      this.byId.set(session.id, session);
      return send(200, this.render(session));
    }
    const match = /^\/api\/v1\/checkout\/sessions\/(cs_\w+)$/.exec(req.url ?? '');
    const session = match ? this.byId.get(match[1]!) : undefined;
    if (req.method === 'GET' && session) return send(200, this.render(session));
    return send(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such checkout session' } });
  }

  private render(s: FakeSession, status = s.status) {
    // The real API prices `price` lines from the catalogue; the fake knows the test's prices.
    const items = (s.body.line_items as { price: string; quantity: number }[]).map((li) => ({ ...PRICES[li.price]!, quantity: li.quantity }));
    return {
      id: s.id,
      object: 'checkout.session',
      url: `http://pay.example/pay/${s.id}`,
      payment_intent: 'pi_fake',
      status,
      payment_status: s.payment_status,
      amount_total: items.reduce((sum, i) => sum + i.unit_amount * i.quantity, 0),
      currency: 'usd',
      customer_email: s.body.customer_email ?? null,
      metadata: s.body.metadata,
      line_items: items.map((i) => ({ ...i, amount_total: i.unit_amount * i.quantity })),
      expires_at: 2_000_000_000,
    };
  }
}

const PRICES: Record<string, { name: string; unit_amount: number }> = {
  price_mug0000001: { name: 'Mug', unit_amount: 1500 },
  price_tee0000001: { name: 'T-shirt', unit_amount: 2400 },
};

const api = new FakeApi();
let merchantId = '';
let apiUrl = '';

beforeAll(async () => {
  const created = await createMerchant({ name: 'Test Shop', email: `shop-${Date.now()}@example.com` });
  merchantId = created.merchant.id;
  process.env.STORE_SECRET_KEY = created.secretKey;
  apiUrl = await api.start();
  process.env.APP_URL = apiUrl;
  resetEnvCache();
  // Another merchant's product must never be sellable through this store.
  const other = await createMerchant({ name: 'Other Shop', email: `other-${Date.now()}@example.com` });
  const product = (id: string, owner: string, name: string, image: string, sortOrder = 0, active = true) => ({
    id,
    merchantId: owner,
    name,
    description: name,
    image,
    sortOrder,
    active,
    defaultPriceId: id.replace('prod_', 'price_') + '0000001',
  });
  await getDb()
    .insert(products)
    .values([
      product('prod_mug', merchantId, 'Mug', '/products/mug.svg', 1),
      product('prod_tee', merchantId, 'T-shirt', '/products/tee.svg', 2),
      product('prod_old', merchantId, 'Old poster', '/products/poster.svg', 0, false),
      product('prod_foreign', other.merchant.id, 'Not ours', '/x.svg'),
    ]);
  const price = (productId: string, owner: string, unitAmount: number) => ({
    id: productId.replace('prod_', 'price_') + '0000001',
    merchantId: owner,
    productId,
    unitAmount,
    currency: 'usd',
  });
  await getDb()
    .insert(prices)
    .values([price('prod_mug', merchantId, 1500), price('prod_tee', merchantId, 2400), price('prod_old', merchantId, 900), price('prod_foreign', other.merchant.id, 100)]);
});

afterAll(async () => {
  await api.stop();
  delete process.env.STORE_SECRET_KEY;
  delete process.env.APP_URL;
  resetEnvCache();
});

beforeEach(() => api.reset());

const posts = () => api.requests.filter((r) => r.method === 'POST');
const keyOf = (r: RecordedRequest | undefined) => r?.headers['idempotency-key'];

describe('listStoreProducts', () => {
  it('lists only the store merchant’s active products, in catalogue order', async () => {
    const list = await listStoreProducts();
    expect(list.map((p) => p.id)).toEqual(['prod_mug', 'prod_tee']);
    expect(list[0]).toMatchObject({ name: 'Mug', priceId: 'price_mug0000001', unitAmount: 1500, currency: 'usd', image: '/products/mug.svg' });
  });
});

describe('createStoreCheckout', () => {
  it('prices every line from the database and ignores prices sent by the client', async () => {
    const tampered = {
      cartId: 'cart_reprice_01',
      items: [
        { productId: 'prod_mug', quantity: 2, unit_amount: 1, unitAmount: 1, price: 1 },
        { productId: 'prod_tee', quantity: 1, unit_amount: 1 },
      ],
      email: 'buyer@example.com',
    } as unknown as StoreCheckoutInput;

    const result = await createStoreCheckout(tampered);

    const req = posts()[0];
    expect(req?.url).toBe('/api/v1/checkout/sessions');
    expect(req?.headers.authorization).toBe(`Bearer ${process.env.STORE_SECRET_KEY}`);
    // Stripe's shape: each line names the product's default price, never an amount
    expect(req?.body).toMatchObject({
      mode: 'payment',
      line_items: [
        { price: 'price_mug0000001', quantity: 2 },
        { price: 'price_tee0000001', quantity: 1 },
      ],
      customer_email: 'buyer@example.com',
      success_url: `${process.env.APP_URL}/store/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${process.env.APP_URL}/store/cart`,
      metadata: { order_ref: expect.stringMatching(/^SO-[0-9A-F]{10}$/), cart_id: 'cart_reprice_01' },
    });
    expect(result).toEqual({ sessionId: 'cs_fake00000001', redirectUrl: 'http://pay.example/pay/cs_fake00000001' });
  });

  it('refuses an unknown product with a clear message and never calls the API', async () => {
    await expect(
      createStoreCheckout({ cartId: 'cart_unknown_1', items: [{ productId: 'prod_nope', quantity: 1 }] }),
    ).rejects.toThrow(/no longer sold here/);
    expect(api.requests).toHaveLength(0);
  });

  it('refuses another merchant’s product as unknown', async () => {
    await expect(
      createStoreCheckout({ cartId: 'cart_foreign_1', items: [{ productId: 'prod_foreign', quantity: 1 }] }),
    ).rejects.toThrow(/no longer sold here/);
  });

  it('refuses an inactive product by name', async () => {
    const err = await createStoreCheckout({
      cartId: 'cart_inactive',
      items: [
        { productId: 'prod_mug', quantity: 1 },
        { productId: 'prod_old', quantity: 1 },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('parameter_invalid');
    expect((err as AppError).message).toBe('"Old poster" is no longer available. Remove it from your cart and try again.');
    expect(api.requests).toHaveLength(0);
  });

  it('rejects an empty cart and silly quantities', async () => {
    await expect(createStoreCheckout({ cartId: 'cart_empty_01', items: [] })).rejects.toThrow('Your cart is empty.');
    await expect(
      createStoreCheckout({ cartId: 'cart_qty_0001', items: [{ productId: 'prod_mug', quantity: 0 }] }),
    ).rejects.toThrow(AppError);
    await expect(
      createStoreCheckout({ cartId: 'cart_qty_0002', items: [{ productId: 'prod_mug', quantity: 1.5 }] }),
    ).rejects.toThrow(AppError);
  });

  it('sends the same Idempotency-Key for the same cart, however its lines are ordered or split', async () => {
    await createStoreCheckout({
      cartId: 'cart_same_0001',
      items: [
        { productId: 'prod_tee', quantity: 1 },
        { productId: 'prod_mug', quantity: 2 },
      ],
    });
    await createStoreCheckout({
      cartId: 'cart_same_0001',
      items: [
        { productId: 'prod_mug', quantity: 1 },
        { productId: 'prod_tee', quantity: 1 },
        { productId: 'prod_mug', quantity: 1 },
      ],
    });
    const [first, second] = posts();
    expect(keyOf(first)).toMatch(/^store-order-[0-9a-f]{64}$/);
    expect(keyOf(second)).toBe(keyOf(first));
    expect(second?.body).toEqual(first?.body);
  });

  it('sends a different key for a different cart, quantity or email', async () => {
    const items = [{ productId: 'prod_mug', quantity: 1 }];
    await createStoreCheckout({ cartId: 'cart_diff_0001', items });
    await createStoreCheckout({ cartId: 'cart_diff_0002', items });
    await createStoreCheckout({ cartId: 'cart_diff_0001', items: [{ productId: 'prod_mug', quantity: 3 }] });
    await createStoreCheckout({ cartId: 'cart_diff_0001', items, email: 'a@example.com' });
    const keys = posts().map(keyOf);
    expect(new Set(keys).size).toBe(4);
  });

  it('reuses the open session of a replayed order', async () => {
    const input = { cartId: 'cart_replay_01', items: [{ productId: 'prod_mug', quantity: 1 }] };
    const first = await createStoreCheckout(input);
    const second = await createStoreCheckout(input);
    expect(second).toEqual(first);
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET']);
  });

  it('opens a new session under a new key when the replayed one has expired', async () => {
    const input = { cartId: 'cart_expired_1', items: [{ productId: 'prod_tee', quantity: 1 }] };
    const first = await createStoreCheckout(input);
    api.byId.get(first.sessionId)!.status = 'expired';
    const second = await createStoreCheckout(input);
    expect(second.sessionId).not.toBe(first.sessionId);
    const [k1, k2, k3] = posts().map(keyOf);
    expect(k2).toBe(k1);
    expect(k3).not.toBe(k1);
  });

  it('sends the customer to the order page when the replayed session is already paid', async () => {
    const input = { cartId: 'cart_paid_0001', items: [{ productId: 'prod_tee', quantity: 2 }] };
    const first = await createStoreCheckout(input);
    Object.assign(api.byId.get(first.sessionId)!, { status: 'complete', payment_status: 'paid' });
    const again = await createStoreCheckout(input);
    expect(again.redirectUrl).toBe(`${process.env.APP_URL}/store/success?session_id=${first.sessionId}`);
  });

  it('turns an API error into a clear message', async () => {
    api.nextError = {
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'amount_too_large', message: 'Amount too large.' } },
    };
    await expect(
      createStoreCheckout({ cartId: 'cart_apierr_01', items: [{ productId: 'prod_mug', quantity: 1 }] }),
    ).rejects.toThrow('Checkout could not be started: Amount too large.');
  });

  it('reports an unreachable API without leaking details', async () => {
    process.env.APP_URL = 'http://127.0.0.1:1';
    resetEnvCache();
    try {
      await expect(
        createStoreCheckout({ cartId: 'cart_down_0001', items: [{ productId: 'prod_mug', quantity: 1 }] }),
      ).rejects.toThrow('The payment service could not be reached. Please try again in a moment.');
    } finally {
      process.env.APP_URL = apiUrl;
      resetEnvCache();
    }
  });
});

describe('getStoreOrder', () => {
  it('reads the order back and reports whether it is paid', async () => {
    const { sessionId } = await createStoreCheckout({
      cartId: 'cart_order_001',
      items: [{ productId: 'prod_mug', quantity: 2 }],
    });
    const open = await getStoreOrder(sessionId);
    expect(open).toMatchObject({ paid: false, status: 'open', amountTotal: 3000, currency: 'usd' });
    Object.assign(api.byId.get(sessionId)!, { status: 'complete', payment_status: 'paid' });
    const paid = await getStoreOrder(sessionId);
    expect(paid).toMatchObject({ paid: true, lines: [{ name: 'Mug', quantity: 2, amountTotal: 3000 }] });
    expect(paid?.orderRef).toMatch(/^SO-/);
    expect(paid?.cartId).toBe('cart_order_001');
  });

  it('returns null for unknown or malformed ids without calling the API for malformed ones', async () => {
    expect(await getStoreOrder('cs_doesnotexist1')).toBeNull();
    expect(await getStoreOrder('../../admin')).toBeNull();
    expect(api.requests).toHaveLength(1);
  });
});
