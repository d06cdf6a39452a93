/**
 * The demo merchant's storefront at /store. It is a *client* of paykit, like any merchant's
 * website: it reads its own catalogue, re-prices the customer's cart from the database and
 * creates a checkout session through the public API over HTTP with its secret key.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { parseFormInput } from '@/lib/http/validation';
import { getDb } from '@/db/client';
import { prices, products, type Merchant, type Price, type Product } from '@/db/schema';
import { authenticateSecretKey } from '@/lib/auth/api-keys';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { assertValidAmount, parseCurrency, sumMinor } from '@/lib/money';

export interface StoreProduct {
  id: string;
  /** The product's default price: what the store sells it at, named in the checkout's line items. */
  priceId: string;
  name: string;
  description: string;
  unitAmount: number;
  currency: string;
  image: string;
}

export interface Storefront {
  merchantName: string;
  products: StoreProduct[];
}

export const MAX_QUANTITY_PER_LINE = 20;
export const MAX_LINES_PER_CART = 30;
/** How long one checkout request to our own API may take before the customer sees an error. */
const API_TIMEOUT_MS = 15_000;
/** A cart whose earlier session expired gets a fresh one; this bounds how many we try in one request. */
const MAX_SESSION_GENERATIONS = 5;

function storeSecretKey(): string {
  const key = env().STORE_SECRET_KEY;
  if (!key) {
    throw new AppError(
      'internal_error',
      'The store is not configured: STORE_SECRET_KEY is not set. Start the app with `npm start`.',
    );
  }
  return key;
}

/** The merchant the storefront sells for: the owner of STORE_SECRET_KEY. */
export async function storeMerchant(): Promise<Merchant> {
  return authenticateSecretKey(`Bearer ${storeSecretKey()}`);
}

const PLACEHOLDER_IMAGE = '/products/placeholder.svg';

function toStoreProduct({ product: p, price }: { product: Product; price: Price }): StoreProduct {
  return {
    id: p.id,
    priceId: price.id,
    name: p.name,
    description: p.description ?? '',
    unitAmount: price.unitAmount,
    currency: price.currency,
    image: p.image ?? p.images[0] ?? PLACEHOLDER_IMAGE,
  };
}

/** A merchant's products with their default price, for the shelf (active ones) and for pricing a cart. */
function productsWithPrices(merchantId: string, where: SQL | undefined) {
  return getDb()
    .select({ product: products, price: prices })
    .from(products)
    .innerJoin(prices, eq(prices.id, products.defaultPriceId))
    .where(and(eq(products.merchantId, merchantId), where));
}

/** Active products of the store's merchant, in catalogue order. */
export async function listStoreProducts(): Promise<StoreProduct[]> {
  const merchant = await storeMerchant();
  return loadActiveProducts(merchant.id);
}

export async function loadStorefront(): Promise<Storefront> {
  const merchant = await storeMerchant();
  return { merchantName: merchant.name, products: await loadActiveProducts(merchant.id) };
}

async function loadActiveProducts(merchantId: string): Promise<StoreProduct[]> {
  const rows = await productsWithPrices(merchantId, and(eq(products.active, true), eq(prices.active, true))).orderBy(
    asc(products.sortOrder),
    asc(products.name),
  );
  return rows.map(toStoreProduct);
}

export const storeCheckoutInput = z.object({
  cartId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'cart id must be 8-64 letters, digits, "_" or "-"'),
  items: z
    .array(
      // Only ids and quantities: whatever price a client sends is dropped here.
      z.object({
        productId: z.string().min(1).max(100),
        quantity: z.number().int().min(1).max(MAX_QUANTITY_PER_LINE),
      }),
    )
    .min(1, 'Your cart is empty.')
    .max(MAX_LINES_PER_CART),
  email: z.union([z.email('Enter a valid email address.'), z.literal('')]).optional(),
});
export type StoreCheckoutInput = z.input<typeof storeCheckoutInput>;

export interface PricedLine {
  productId: string;
  priceId: string;
  name: string;
  quantity: number;
  unitAmount: number;
  /** Site-relative path of the product image. */
  image: string;
}

export interface PricedCart {
  currency: string;
  lines: PricedLine[];
  amountTotal: number;
}

/** Merges repeated products and orders lines by product id, so equal carts compare equal. */
function normalizeItems(items: readonly { productId: string; quantity: number }[]): { productId: string; quantity: number }[] {
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => {
      if (quantity > MAX_QUANTITY_PER_LINE) {
        throw new AppError('parameter_invalid', `You can buy at most ${MAX_QUANTITY_PER_LINE} of one product.`, {
          param: 'items',
        });
      }
      return { productId, quantity };
    });
}

/** Prices a cart from the merchant's catalogue; unknown or inactive products are refused by name. */
export async function priceCart(
  merchantId: string,
  items: readonly { productId: string; quantity: number }[],
): Promise<PricedCart> {
  const wanted = normalizeItems(items);
  const rows = await productsWithPrices(
    merchantId,
    inArray(
      products.id,
      wanted.map((w) => w.productId),
    ),
  );
  const byId = new Map(rows.map((r) => [r.product.id, toStoreProduct(r)]));
  const activeIds = new Set(rows.filter((r) => r.product.active && r.price.active).map((r) => r.product.id));
  const lines: PricedLine[] = [];
  for (const item of wanted) {
    const product = byId.get(item.productId);
    if (!product) {
      throw new AppError('parameter_invalid', 'An item in your cart is no longer sold here. Remove it and try again.', {
        param: 'items',
      });
    }
    if (!activeIds.has(product.id)) {
      throw new AppError(
        'parameter_invalid',
        `"${product.name}" is no longer available. Remove it from your cart and try again.`,
        {
          param: 'items',
        },
      );
    }
    lines.push({
      productId: product.id,
      priceId: product.priceId,
      name: product.name,
      quantity: item.quantity,
      unitAmount: product.unitAmount,
      image: product.image,
    });
  }
  const currencies = new Set(lines.map((l) => byId.get(l.productId)!.currency.toLowerCase()));
  if (currencies.size !== 1) {
    throw new AppError('parameter_invalid', 'Items priced in different currencies cannot be bought together.', {
      param: 'items',
    });
  }
  const currency = parseCurrency([...currencies][0]!);
  const amountTotal = sumMinor(lines.map((l) => l.unitAmount * l.quantity));
  assertValidAmount(amountTotal, currency, 'items');
  return { currency, lines, amountTotal };
}

/**
 * The Idempotency-Key of an order: the same cart with the same priced lines and email always
 * maps to the same key, so a double-clicked or retried checkout creates one session, not two.
 * A changed price, quantity or email is a different order and gets a different key.
 */
export function orderIdempotencyKey(cartId: string, cart: PricedCart, email: string | undefined, generation = 0): string {
  const material = JSON.stringify({
    cartId,
    currency: cart.currency,
    lines: cart.lines.map((l) => [l.productId, l.priceId, l.quantity, l.unitAmount]),
    email: email?.toLowerCase() ?? null,
    generation,
  });
  return `store-order-${createHash('sha256').update(material).digest('hex')}`;
}

/** A short reference customers can quote; stable for a given cart. */
export function orderRef(cartId: string): string {
  return `SO-${createHash('sha256').update(cartId).digest('hex').slice(0, 10).toUpperCase()}`;
}

/** The parts of a checkout session object the storefront reads. */
const sessionSchema = z.object({
  id: z.string().regex(/^cs_[0-9A-Za-z]+$/),
  url: z.string().nullish(),
  status: z.enum(['open', 'complete', 'expired']),
  payment_status: z.string().optional(),
  amount_total: z.number().int(),
  currency: z.string(),
  customer_email: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  line_items: z
    .union([
      z.array(z.object({ name: z.string(), quantity: z.number(), unit_amount: z.number(), amount_total: z.number().optional() })),
      z.object({
        data: z.array(
          z.object({
            name: z.string().optional(),
            description: z.string().optional(),
            quantity: z.number(),
            amount_total: z.number(),
          }),
        ),
      }),
    ])
    .nullish(),
});
type ApiSession = z.infer<typeof sessionSchema>;

const apiErrorSchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string() }) });

async function callApi(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<{ session: ApiSession; replayed: boolean }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${storeSecretKey()}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res: Response;
  try {
    res = await fetch(`${env().APP_URL}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
      cache: 'no-store',
    });
  } catch (err) {
    throw new AppError('psp_unavailable', 'The payment service could not be reached. Please try again in a moment.', {
      cause: err,
    });
  }
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const parsed = apiErrorSchema.safeParse(json);
    if (res.status === 404) throw new AppError('resource_missing', 'That checkout session does not exist.');
    const detail = parsed.success ? parsed.data.error.message : `HTTP ${res.status}`;
    throw new AppError(res.status >= 500 ? 'psp_unavailable' : 'parameter_invalid', `Checkout could not be started: ${detail}`);
  }
  const parsed = sessionSchema.safeParse(json);
  if (!parsed.success) throw new AppError('internal_error', 'The payment service sent an unexpected response.');
  return { session: parsed.data, replayed: res.headers.get('idempotent-replayed') === 'true' };
}

export interface StoreCheckoutResult {
  sessionId: string;
  /** Where to send the customer: the hosted pay page, or the order page when this cart was already paid. */
  redirectUrl: string;
}

/** Prices the cart from the database and opens a checkout session for it through the public API. */
export async function createStoreCheckout(input: StoreCheckoutInput): Promise<StoreCheckoutResult> {
  const { cartId, items, ...rest } = parseFormInput(storeCheckoutInput, input);
  const email = rest.email || undefined;
  const merchant = await storeMerchant();
  const cart = await priceCart(merchant.id, items);
  const appUrl = env().APP_URL;
  const body = {
    // Stripe's shape: each line names the product's price; paykit prices it again from the catalogue.
    mode: 'payment',
    line_items: cart.lines.map((l) => ({ price: l.priceId, quantity: l.quantity })),
    success_url: `${appUrl}/store/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${appUrl}/store/cart`,
    ...(email ? { customer_email: email } : {}),
    metadata: { order_ref: orderRef(cartId), cart_id: cartId },
  };
  for (let generation = 0; generation < MAX_SESSION_GENERATIONS; generation++) {
    const key = orderIdempotencyKey(cartId, cart, email, generation);
    const created = await callApi('POST', '/api/v1/checkout/sessions', body, key);
    // A replay returns the session as it was created; ask for its state now.
    const session = created.replayed
      ? (await callApi('GET', `/api/v1/checkout/sessions/${created.session.id}`)).session
      : created.session;
    if (session.status === 'complete') {
      return { sessionId: session.id, redirectUrl: `${appUrl}/store/success?session_id=${session.id}` };
    }
    if (session.status === 'open') {
      return { sessionId: session.id, redirectUrl: created.session.url ?? `${appUrl}/pay/${session.id}` };
    }
    // expired: the same order gets a new session under the next key
  }
  throw new AppError('internal_error', 'Checkout could not be started for this cart. Please empty your cart and try again.');
}

export interface StoreOrderLine {
  name: string;
  quantity: number;
  amountTotal: number;
}

export interface StoreOrder {
  sessionId: string;
  paid: boolean;
  status: 'open' | 'complete' | 'expired';
  amountTotal: number;
  currency: string;
  customerEmail: string | null;
  orderRef: string | null;
  /** The browser cart this order was made from, so that cart can be emptied once paid. */
  cartId: string | null;
  lines: StoreOrderLine[];
}

const SESSION_ID = /^cs_[0-9A-Za-z]{8,64}$/;

/** The order behind a checkout session, read back through the public API; null for an unknown id. */
export async function getStoreOrder(sessionId: string): Promise<StoreOrder | null> {
  if (!SESSION_ID.test(sessionId)) return null;
  let session: ApiSession;
  try {
    session = (await callApi('GET', `/api/v1/checkout/sessions/${sessionId}`)).session;
  } catch (err) {
    if (err instanceof AppError && err.code === 'resource_missing') return null;
    throw err;
  }
  return {
    sessionId: session.id,
    paid: session.status === 'complete' && session.payment_status === 'paid',
    status: session.status,
    amountTotal: session.amount_total,
    currency: session.currency,
    customerEmail: session.customer_email ?? null,
    orderRef: session.metadata?.order_ref ?? null,
    cartId: session.metadata?.cart_id ?? null,
    lines: orderLines(session.line_items),
  };
}

function orderLines(items: ApiSession['line_items']): StoreOrderLine[] {
  if (!items) return [];
  if (Array.isArray(items)) {
    return items.map((i) => ({ name: i.name, quantity: i.quantity, amountTotal: i.amount_total ?? i.unit_amount * i.quantity }));
  }
  return items.data.map((i) => ({ name: i.name ?? i.description ?? 'Item', quantity: i.quantity, amountTotal: i.amount_total }));
}
