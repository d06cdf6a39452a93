import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStripeFields } from './required-fields';
import { startStripeApp, type StripeApp } from './stripe-app';

/**
 * Customers, Products, Prices and Checkout Sessions through the official `stripe` SDK, exactly as
 * an e-commerce integration calls them (form-encoded bodies, bracket notation, auto-pagination).
 */

let s: StripeApp;

beforeAll(async () => {
  s = await startStripeApp();
});
afterAll(() => s.close());

/** Fields a checkout session must carry (its SDK type requires ~80; these are the ones integrations read). */
function expectFields<T extends object>(obj: T, keys: readonly (keyof T)[]): void {
  for (const k of keys) expect(obj, `missing ${String(k)}`).toHaveProperty(k as string);
}

describe('customers', () => {
  it('creates, retrieves, updates (metadata merges) and lists a customer', async () => {
    const created: Stripe.Customer = await s.stripe.customers.create({
      email: 'ada@example.test',
      name: 'Ada Lovelace',
      phone: '+254700000001',
      metadata: { crm: 'A-1', tier: 'gold' },
    });
    expect(created.id).toMatch(/^cus_[0-9A-Za-z]{24}$/);
    expect(created).toMatchObject({ object: 'customer', email: 'ada@example.test', name: 'Ada Lovelace', phone: '+254700000001', livemode: false });
    expectStripeFields('customer', created);

    const updated = await s.stripe.customers.update(created.id, { name: 'Ada King', metadata: { tier: '', vip: 'yes' } });
    expect(updated.name).toBe('Ada King');
    expect(updated.metadata).toEqual({ crm: 'A-1', vip: 'yes' });
    expect((await s.stripe.customers.retrieve(created.id)) as Stripe.Customer).toMatchObject({ name: 'Ada King', email: 'ada@example.test' });

    const byEmail = await s.stripe.customers.list({ email: 'ADA@example.test' });
    expect(byEmail.data.map((c) => c.id)).toEqual([created.id]);
  });

  it('deletes a customer: Stripe deleted object, retrieve says deleted, update is refused', async () => {
    const c = await s.stripe.customers.create({ email: 'gone@example.test' });
    const deleted: Stripe.DeletedCustomer = await s.stripe.customers.del(c.id);
    expect(deleted).toEqual(expect.objectContaining({ id: c.id, object: 'customer', deleted: true }));
    const again = await s.stripe.customers.retrieve(c.id);
    expect(again.deleted).toBe(true);
    const err = await s.stripe.customers.update(c.id, { name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).code).toBe('resource_missing');
    const list = await s.stripe.customers.list({ limit: 100 });
    expect(list.data.map((x) => x.id)).not.toContain(c.id);
  });

  it('auto-paginates the customer list newest first', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 5; i++) mine.add((await s.stripe.customers.create({ email: `page${i}@example.test`, metadata: { batch: 'p' } })).id);
    const all = await s.stripe.customers.list({ limit: 2 }).autoPagingToArray({ limit: 1000 });
    const seen = all.map((c) => c.id).filter((id) => mine.has(id));
    expect(seen).toHaveLength(5);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
  });

  it('refuses an unknown parameter with param, and a missing customer with 404', async () => {
    const err = await s.stripe.customers.create({ emial: 'x' } as Stripe.CustomerCreateParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).param).toBe('emial');
    const missing = await s.stripe.customers.retrieve('cus_doesnotexist000000000000').catch((e: unknown) => e);
    expect((missing as Stripe.errors.StripeError).statusCode).toBe(404);
  });
});

describe('products and prices', () => {
  it('creates a product with a default price, prices, updates and lists them', async () => {
    const product: Stripe.Product = await s.stripe.products.create({
      name: 'Mug',
      description: 'A 350 ml mug',
      images: ['https://cdn.example.test/mug.png'],
      metadata: { sku: 'MUG-1' },
      default_price_data: { currency: 'usd', unit_amount: 1400 },
    });
    expect(product.id).toMatch(/^prod_/);
    expect(product).toMatchObject({ object: 'product', name: 'Mug', active: true, images: ['https://cdn.example.test/mug.png'] });
    expectStripeFields('product', product);
    const defaultPrice = await s.stripe.prices.retrieve(product.default_price as string);
    expect(defaultPrice).toMatchObject({ object: 'price', unit_amount: 1400, currency: 'usd', product: product.id, type: 'one_time', active: true });

    const price: Stripe.Price = await s.stripe.prices.create({ product: product.id, unit_amount: 1200, currency: 'usd', nickname: 'sale' });
    expect(price.id).toMatch(/^price_/);
    expect(Number(String(price.unit_amount_decimal))).toBe(1200);
    expectStripeFields('price', price);

    const off = await s.stripe.prices.update(price.id, { active: false });
    expect(off.active).toBe(false);
    const setDefault = await s.stripe.products.update(product.id, { name: 'Big Mug', default_price: defaultPrice.id });
    expect(setDefault).toMatchObject({ name: 'Big Mug', default_price: defaultPrice.id });

    const listed = await s.stripe.prices.list({ product: product.id, active: true });
    expect(listed.data.map((p) => p.id)).toEqual([defaultPrice.id]);
    const products = await s.stripe.products.list({ limit: 100 });
    expect(products.data.map((p) => p.id)).toContain(product.id);
  });

  it('creates a price with product_data, and refuses recurring prices and bad amounts with param', async () => {
    const price = await s.stripe.prices.create({ currency: 'eur', unit_amount: 500, product_data: { name: 'Sticker' } });
    expect((await s.stripe.products.retrieve(price.product as string)).name).toBe('Sticker');
    const recurring = await s.stripe.prices
      .create({ currency: 'usd', unit_amount: 500, product: price.product as string, recurring: { interval: 'month' } })
      .catch((e: unknown) => e);
    expect((recurring as Stripe.errors.StripeError).param).toMatch(/^recurring/);
    const negative = await s.stripe.prices.create({ currency: 'usd', unit_amount: -1, product: price.product as string }).catch((e: unknown) => e);
    expect(negative).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((negative as Stripe.errors.StripeError).param).toBe('unit_amount');
  });
});

describe('checkout sessions in Stripe shape', () => {
  it('creates a session from price and price_data lines for a customer, with payment_intent_data, and lists its line items', async () => {
    const product = await s.stripe.products.create({ name: 'Tote', default_price_data: { currency: 'usd', unit_amount: 1800 } });
    const customer = await s.stripe.customers.create({ email: 'buyer@example.test' });
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    // payment_method_types as the older SDKs (and most integrations) send it; stripe-node 23 types
    // only allowed_payment_method_types, which is accepted as the same thing
    const session: Stripe.Checkout.Session = await s.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price: product.default_price as string, quantity: 2 },
        { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Gift wrap', description: 'Red paper', images: ['https://cdn.example.test/wrap.png'] } }, quantity: 1 },
      ],
      success_url: 'https://shop.example.test/ok?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example.test/cart',
      customer: customer.id,
      payment_method_types: ['card'],
      payment_intent_data: { capture_method: 'manual', metadata: { order: 'O-7' } },
      expires_at: expiresAt,
      client_reference_id: 'cart-7',
    } as Stripe.Checkout.SessionCreateParams);
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 4100,
      currency: 'usd',
      customer: customer.id,
      customer_email: 'buyer@example.test',
      payment_method_types: ['card'],
      expires_at: expiresAt,
      client_reference_id: 'cart-7',
    });
    expect(session.url).toMatch(new RegExp(`/pay/${session.id}$`));
    // Stripe keeps the template; the pay page sends the customer to it with the id substituted
    expect(session.success_url).toBe('https://shop.example.test/ok?session_id={CHECKOUT_SESSION_ID}');
    expectFields(session, ['id', 'object', 'mode', 'status', 'payment_status', 'amount_total', 'currency', 'success_url', 'cancel_url', 'expires_at', 'created', 'livemode', 'metadata']);

    const pi = await s.stripe.paymentIntents.retrieve(session.payment_intent as string);
    expect(pi).toMatchObject({ amount: 4100, capture_method: 'manual', metadata: { order: 'O-7' } });

    const items = await s.stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((li) => [li.description, li.quantity, li.amount_total, li.price?.id ?? null])).toEqual([
      ['Tote', 2, 3600, product.default_price],
      ['Gift wrap', 1, 500, null],
    ]);
    expect(items.data[0]!.id).toMatch(/^li_/);
    for (const li of items.data) expectStripeFields('line_item', li);
    const page = await s.stripe.checkout.sessions.listLineItems(session.id, { limit: 1, starting_after: items.data[0]!.id });
    expect(page.data.map((li) => li.description)).toEqual(['Gift wrap']);

    const listed = await s.stripe.checkout.sessions.list({ customer: customer.id });
    expect(listed.data.map((x) => x.id)).toEqual([session.id]);
    expect((await s.stripe.checkout.sessions.retrieve(session.id)).id).toBe(session.id);
  });

  it('expires an open session (its payment intent is canceled) and refuses to expire it twice', async () => {
    const session = await s.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 900, product_data: { name: 'Poster' } }, quantity: 1 }],
      success_url: 'https://shop.example.test/ok',
      cancel_url: 'https://shop.example.test/cart',
    });
    expect(session.payment_method_types).toEqual(['card']);
    const kes = await s.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'kes', unit_amount: 10000, product_data: { name: 'Chai' } }, quantity: 1 }],
      allowed_payment_method_types: ['mpesa'],
      success_url: 'https://shop.example.test/ok',
      cancel_url: 'https://shop.example.test/cart',
    });
    expect(kes.payment_method_types).toEqual(['mpesa']);
    const mpesaInUsd = await s.stripe.checkout.sessions
      .create({
        mode: 'payment',
        line_items: [{ price_data: { currency: 'usd', unit_amount: 100, product_data: { name: 'X' } }, quantity: 1 }],
        allowed_payment_method_types: ['mpesa'],
        success_url: 'https://shop.example.test/ok',
        cancel_url: 'https://shop.example.test/cart',
      })
      .catch((e: unknown) => e);
    expect((mpesaInUsd as Stripe.errors.StripeError).param).toBe('payment_method_types');

    const expired = await s.stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ id: session.id, status: 'expired', url: null });
    expect((await s.stripe.paymentIntents.retrieve(session.payment_intent as string)).status).toBe('canceled');
    const again = await s.stripe.checkout.sessions.expire(session.id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('refuses an inactive price and a price of another merchant, naming the line', async () => {
    const product = await s.stripe.products.create({ name: 'Old', default_price_data: { currency: 'usd', unit_amount: 100 } });
    await s.stripe.prices.update(product.default_price as string, { active: false });
    const base = { mode: 'payment' as const, success_url: 'https://shop.example.test/ok', cancel_url: 'https://shop.example.test/cart' };
    const inactive = await s.stripe.checkout.sessions
      .create({ ...base, line_items: [{ price: product.default_price as string, quantity: 1 }] })
      .catch((e: unknown) => e);
    expect((inactive as Stripe.errors.StripeError).param).toBe('line_items[0][price]');
    expect((inactive as Stripe.errors.StripeError).message).toMatch(/inactive/);

    const other = s.client((await import('../helpers/test-app').then((m) => m.createTestMerchant('Other'))).secretKey);
    const theirs = await other.products.create({ name: 'Theirs', default_price_data: { currency: 'usd', unit_amount: 100 } });
    const foreign = await s.stripe.checkout.sessions
      .create({ ...base, line_items: [{ price: theirs.default_price as string, quantity: 1 }] })
      .catch((e: unknown) => e);
    expect((foreign as Stripe.errors.StripeError).statusCode).toBe(404);
    expect((foreign as Stripe.errors.StripeError).param).toBe('line_items[0][price]');
  });
});
