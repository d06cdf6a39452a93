import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { checkoutSessions, merchants, paymentIntents, type CheckoutSession, type LineItemJson, type PaymentIntent, type Product } from '@/db/schema';
import { getProduct, httpUrl, sellablePrices } from '@/lib/catalog';
import { requireLiveCustomer } from '@/lib/customers';
import { AppError } from '@/lib/errors';
import { metadataSchema } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { assertValidAmount, parseCurrency, sumMinor, type Currency } from '@/lib/money';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { cancelPaymentIntent } from '@/lib/payments/cancel-capture';
import { createPaymentIntent } from '@/lib/payments/intents';
import { serializeCheckoutSession, sessionPaymentMethodTypes } from '@/lib/payments/serialize';

export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

const lineItemBody = z
  .object({
    quantity: z.number().int().min(1).max(999),
    /** Stripe's shape: a Price of the merchant's catalogue ... */
    price: z.string().min(1).max(100).optional(),
    /** ... or an inline price. */
    price_data: z
      .object({
        currency: z.string().min(3).max(3),
        unit_amount: z.number(),
        product: z.string().min(1).max(100).optional(),
        product_data: z
          .object({
            name: z.string().trim().min(1).max(250),
            description: z.string().max(1000).optional(),
            images: z.array(httpUrl).max(8).optional(),
            metadata: metadataSchema.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** paykit's older shape: name and unit_amount (in the session's currency) on the line itself. */
    name: z.string().trim().min(1).max(250).optional(),
    unit_amount: z.number().optional(),
    /** Product images, as Stripe's product_data.images: the pay page shows the first. */
    images: z.array(httpUrl).max(8).optional(),
  })
  .strict();

const PAYMENT_METHOD_TYPES = ['card', 'mpesa'] as const;

export const createCheckoutSessionBody = z
  .object({
    /** Stripe's mode; paykit sells one-time payments only. */
    mode: z.literal('payment').optional(),
    amount: z.number().optional(),
    line_items: z.array(lineItemBody).min(1).max(100).optional(),
    /** Required with `amount` and the older line items; with prices it is the prices' currency. */
    currency: z.string().min(3).max(3).optional(),
    success_url: httpUrl,
    cancel_url: httpUrl,
    customer: z.string().min(1).max(100).optional(),
    customer_email: z.string().email().max(320).optional(),
    client_reference_id: z.string().min(1).max(200).optional(),
    payment_method_types: z.array(z.enum(PAYMENT_METHOD_TYPES)).min(1).max(PAYMENT_METHOD_TYPES.length).optional(),
    /** The newer SDKs' name for payment_method_types (stripe-node 23 sends only this one). */
    allowed_payment_method_types: z.array(z.enum(PAYMENT_METHOD_TYPES)).min(1).max(PAYMENT_METHOD_TYPES.length).optional(),
    payment_intent_data: z
      .object({
        capture_method: z.enum(['automatic', 'automatic_async', 'manual']).optional(),
        description: z.string().max(1000).optional(),
        receipt_email: z.string().email().max(320).optional(),
        metadata: metadataSchema.optional(),
      })
      .strict()
      .optional(),
    capture_method: z.enum(['automatic', 'manual']).optional(),
    metadata: metadataSchema.optional(),
    /** Seconds from now until the session expires: 30 minutes to 24 hours (default 24 hours). */
    expires_in: z.number().int().min(1800).max(86400).optional(),
    /** Stripe's: the Unix time the session expires, 30 minutes to 24 hours from now. */
    expires_at: z.number().int().optional(),
  })
  .strict();
export type CreateCheckoutSessionBody = z.output<typeof createCheckoutSessionBody>;

type LineItemInput = z.output<typeof lineItemBody>;

const MIN_TTL_S = 1800;
const MAX_TTL_S = 86400;

/** The line's kind: exactly one of price, price_data or paykit's name + unit_amount. */
function lineKind(li: LineItemInput, i: number): 'price' | 'price_data' | 'legacy' {
  const kinds = [li.price !== undefined && 'price', li.price_data !== undefined && 'price_data', (li.name !== undefined || li.unit_amount !== undefined) && 'legacy'].filter(
    (k): k is 'price' | 'price_data' | 'legacy' => k !== false,
  );
  if (kinds.length !== 1) {
    throw new AppError('parameter_invalid', 'Each line item needs exactly one of price, price_data, or name with unit_amount.', { param: `line_items[${i}]` });
  }
  const kind = kinds[0]!;
  if (kind === 'legacy' && (li.name === undefined || li.unit_amount === undefined)) {
    throw new AppError('parameter_missing', `Missing required param: line_items[${i}][${li.name === undefined ? 'name' : 'unit_amount'}].`, {
      param: `line_items[${i}][${li.name === undefined ? 'name' : 'unit_amount'}]`,
    });
  }
  if (kind === 'price_data' && !li.price_data?.product && !li.price_data?.product_data) {
    throw new AppError('parameter_missing', `Missing required param: line_items[${i}][price_data][product_data].`, { param: `line_items[${i}][price_data][product_data]` });
  }
  if (kind !== 'legacy' && li.images !== undefined) {
    throw new AppError('parameter_unknown', `Received unknown parameter: line_items[${i}][images]; use price_data[product_data][images].`, { param: `line_items[${i}][images]` });
  }
  return kind;
}

/** The product images a line shows: the product's own, or its shelf picture on this app's origin. */
function productImages(product: Product, appUrl: string): string[] {
  if (product.images.length) return product.images;
  return product.image ? [new URL(product.image, appUrl).href] : [];
}

interface PricedLines {
  items: LineItemJson[];
  total: number;
  currency: Currency;
}

/**
 * Prices the session from the request alone (older shape, price_data) or from the merchant's
 * catalogue (price): a named price must be the merchant's and active, of an active product, and
 * every line must share one currency. The amounts are copied into the session, so what the
 * customer pays cannot change after the session was created.
 */
async function priceLines(tx: Tx, merchantId: string, input: CreateCheckoutSessionBody, appUrl: string): Promise<PricedLines> {
  if ((input.amount === undefined) === (input.line_items === undefined)) {
    throw new AppError('parameter_invalid', 'Pass exactly one of amount or line_items.', { param: input.amount === undefined ? 'amount' : 'line_items' });
  }
  if (input.amount !== undefined) {
    if (input.currency === undefined) throw new AppError('parameter_missing', 'Missing required param: currency.', { param: 'currency' });
    const currency = parseCurrency(input.currency);
    assertValidAmount(input.amount, currency);
    return { items: [], total: input.amount, currency };
  }
  const lines = input.line_items ?? [];
  const kinds = lines.map(lineKind);
  const priceIdx = kinds.flatMap((k, i) => (k === 'price' ? [i] : []));
  const sellable = await sellablePrices(
    tx,
    merchantId,
    priceIdx.map((i) => lines[i]!.price!),
    (j) => `line_items[${priceIdx[j]}][price]`,
  );
  const byLine = new Map(priceIdx.map((i, j) => [i, sellable[j]!]));
  const named = await namedProducts(tx, merchantId, lines);
  let currency: Currency | undefined = input.currency === undefined ? undefined : parseCurrency(input.currency);
  const items = lines.map((li, i): LineItemJson => {
    const kind = kinds[i]!;
    const line = (() => {
      if (kind === 'price') {
        const { price, product } = byLine.get(i)!;
        return { currency: price.currency, unitAmount: price.unitAmount, name: product.name, description: product.description ?? undefined, images: productImages(product, appUrl), price: price.id, product: product.id, param: `line_items[${i}][price]` };
      }
      if (kind === 'price_data') {
        const pd = li.price_data!;
        const product = pd.product ? named.get(pd.product)! : undefined;
        return {
          currency: parseCurrency(pd.currency, `line_items[${i}][price_data][currency]`),
          unitAmount: pd.unit_amount,
          name: pd.product_data?.name ?? product!.name,
          description: pd.product_data?.description ?? product?.description ?? undefined,
          images: pd.product_data?.images ?? (product ? productImages(product, appUrl) : []),
          product: product?.id,
          param: `line_items[${i}][price_data][unit_amount]`,
        };
      }
      if (input.currency === undefined) throw new AppError('parameter_missing', 'Missing required param: currency.', { param: 'currency' });
      return { currency: currency!, unitAmount: li.unit_amount!, name: li.name!, images: li.images ?? [], param: `line_items[${i}].unit_amount` };
    })();
    if (currency === undefined) currency = line.currency as Currency;
    if (line.currency !== currency) {
      throw new AppError('parameter_invalid', `All line items must share one currency: line ${i} is in ${line.currency}, not ${currency}.`, { param: `line_items[${i}]` });
    }
    assertValidAmount(line.unitAmount, currency, line.param);
    return {
      id: newId('lineItem'),
      name: line.name,
      ...(line.description ? { description: line.description } : {}),
      quantity: li.quantity,
      unit_amount: line.unitAmount,
      amount_total: line.unitAmount * li.quantity,
      ...(line.images.length ? { images: line.images } : {}),
      ...(line.price ? { price: line.price } : {}),
      ...(line.product ? { product: line.product } : {}),
    };
  });
  const total = sumMinor(items.map((i) => i.amount_total));
  assertValidAmount(total, currency!, 'line_items');
  return { items, total, currency: currency! };
}

/** Products that price_data lines name by id (price_data[product]): the merchant's own, and active. */
async function namedProducts(tx: Tx, merchantId: string, lines: LineItemInput[]): Promise<Map<string, Product>> {
  const found = new Map<string, Product>();
  for (const [i, li] of lines.entries()) {
    const id = li.price_data?.product;
    if (!id || found.has(id)) continue;
    const product = await getProduct(tx, merchantId, id, `line_items[${i}][price_data][product]`);
    if (!product.active) throw new AppError('parameter_invalid', `The product '${id}' is inactive.`, { param: `line_items[${i}][price_data][product]` });
    found.set(id, product);
  }
  return found;
}

/** When the session expires: expires_at (Stripe) or expires_in (paykit), 30 minutes to 24 hours ahead. */
function expiryOf(input: CreateCheckoutSessionBody, createdAt: Date): Date {
  if (input.expires_at !== undefined && input.expires_in !== undefined) {
    throw new AppError('parameter_invalid', 'Pass at most one of expires_at or expires_in.', { param: 'expires_at' });
  }
  if (input.expires_at !== undefined) {
    const ttlS = input.expires_at - createdAt.getTime() / 1000;
    if (ttlS < MIN_TTL_S || ttlS > MAX_TTL_S) {
      throw new AppError('parameter_invalid', 'The expires_at timestamp must be between 30 minutes and 24 hours from now.', { param: 'expires_at' });
    }
    return new Date(input.expires_at * 1000);
  }
  return new Date(createdAt.getTime() + (input.expires_in ? input.expires_in * 1000 : DEFAULT_SESSION_TTL_MS));
}

/** payment_method_types must fit the currency: M-Pesa pays in KES only. */
function methodTypesFor(types: readonly string[] | undefined, currency: Currency): string[] | null {
  if (!types) return null;
  const unique = [...new Set(types)];
  if (unique.includes('mpesa') && currency !== 'kes') {
    throw new AppError('parameter_invalid', 'The payment method type mpesa can only be used with currency kes.', { param: 'payment_method_types' });
  }
  return unique;
}

function captureMethodOf(input: CreateCheckoutSessionBody): 'automatic' | 'manual' {
  const fromIntentData = input.payment_intent_data?.capture_method;
  if (fromIntentData !== undefined && input.capture_method !== undefined) {
    throw new AppError('parameter_invalid', 'Pass capture_method once: payment_intent_data[capture_method] or capture_method.', { param: 'capture_method' });
  }
  // automatic_async is Stripe's newer name for automatic capture
  const method = fromIntentData ?? input.capture_method ?? 'automatic';
  return method === 'manual' ? 'manual' : 'automatic';
}

/** Creates a checkout session and its PaymentIntent in one transaction. */
export async function createCheckoutSession(
  tx: Tx,
  merchantId: string,
  input: CreateCheckoutSessionBody,
  appUrl: string,
): Promise<{ session: CheckoutSession; paymentIntent: PaymentIntent }> {
  const { items, total, currency } = await priceLines(tx, merchantId, input, appUrl);
  if (input.payment_method_types && input.allowed_payment_method_types) {
    throw new AppError('parameter_invalid', 'Pass one of payment_method_types or allowed_payment_method_types.', { param: 'allowed_payment_method_types' });
  }
  const paymentMethodTypes = methodTypesFor(input.payment_method_types ?? input.allowed_payment_method_types, currency);
  const customer = input.customer ? await requireLiveCustomer(tx, merchantId, input.customer, { param: 'customer', forUpdate: true }) : null;
  const customerEmail = input.customer_email ?? customer?.email ?? undefined;
  const createdAt = new Date();
  const expiresAt = expiryOf(input, createdAt);
  const sessionId = newId('checkoutSession');
  const intentData = input.payment_intent_data;
  const paymentIntent = await createPaymentIntent(tx, merchantId, {
    amount: total,
    currency,
    capture_method: captureMethodOf(input),
    description: intentData?.description,
    receipt_email: intentData?.receipt_email ?? customerEmail,
    // payment_intent_data[metadata] goes on the intent, as Stripe's; paykit's older sessions put the session's there too
    metadata: intentData?.metadata ?? input.metadata,
    ...(customer ? { customer: customer.id } : {}),
    // the intent takes what the session offers, so its API confirm refuses the rest too
    ...(paymentMethodTypes ? { payment_method_types: paymentMethodTypes } : {}),
    checkoutSessionId: sessionId,
  });
  const [session] = await tx
    .insert(checkoutSessions)
    .values({
      id: sessionId,
      merchantId,
      paymentIntentId: paymentIntent.id,
      status: 'open',
      amountTotal: total,
      currency,
      lineItems: items,
      successUrl: input.success_url,
      cancelUrl: input.cancel_url,
      customerEmail: customerEmail?.toLowerCase() ?? null,
      customerId: customer?.id ?? null,
      paymentMethodTypes,
      clientReferenceId: input.client_reference_id ?? null,
      metadata: input.metadata ?? {},
      // created and expires_at from one instant, so expires_at - created is exactly the TTL asked for
      createdAt,
      expiresAt,
    })
    .returning();
  if (!session) throw new Error('checkout session insert returned nothing');
  return { session, paymentIntent };
}

export async function getCheckoutSession(db: DbOrTx, merchantId: string, id: string) {
  const [row] = await db
    .select({ session: checkoutSessions, pi: paymentIntents })
    .from(checkoutSessions)
    .innerJoin(paymentIntents, eq(paymentIntents.id, checkoutSessions.paymentIntentId))
    .where(and(eq(checkoutSessions.id, id), eq(checkoutSessions.merchantId, merchantId)));
  if (!row) throw new AppError('resource_missing', `No such checkout.session: '${id}'`, { param: 'id' });
  return row;
}

export async function retrieveCheckoutSessionJson(merchantId: string, id: string, appUrl: string) {
  const { session, pi } = await getCheckoutSession(getDb(), merchantId, id);
  return serializeCheckoutSession(session, pi, appUrl);
}

/** The pay page's view of a session, looked up by its id alone (the id is the customer's handle). */
export async function findSessionForCustomer(id: string) {
  if (!/^cs_[0-9A-Za-z]{8,64}$/.test(id)) return null;
  const [row] = await getDb()
    .select({ session: checkoutSessions, pi: paymentIntents, merchantName: merchants.name })
    .from(checkoutSessions)
    .innerJoin(paymentIntents, eq(paymentIntents.id, checkoutSessions.paymentIntentId))
    .innerJoin(merchants, eq(merchants.id, checkoutSessions.merchantId))
    .where(eq(checkoutSessions.id, id));
  return row ?? null;
}

/** The pay page charges only with the methods the session offers (payment_method_types). */
export function assertSessionOffers(session: CheckoutSession, type: 'card' | 'mpesa'): void {
  const offered = sessionPaymentMethodTypes(session);
  if (!offered.includes(type)) {
    throw new AppError('payment_method_invalid', `This checkout takes ${offered.join(' or ')}, not ${type}.`, { param: 'payment_method' });
  }
}

/** `{CHECKOUT_SESSION_ID}` in a success URL is replaced by the session id, as Stripe does. */
export function successUrlFor(session: CheckoutSession): string {
  return session.successUrl.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

export function isExpired(session: CheckoutSession, now = new Date()): boolean {
  return session.status === 'expired' || (session.status === 'open' && session.expiresAt.getTime() <= now.getTime());
}

export const listCheckoutSessionsQuery = z
  .object({
    ...pageParams,
    status: z.enum(['open', 'complete', 'expired']).optional(),
    payment_intent: z.string().max(100).optional(),
    customer: z.string().max(100).optional(),
  })
  .strict()
  .superRefine(oneCursor);

/** GET /v1/checkout/sessions: newest first, filtered by status, payment_intent or customer. */
export async function listCheckoutSessions(merchantId: string, query: z.output<typeof listCheckoutSessionsQuery>, appUrl: string) {
  const page = await keysetPage<{ session: CheckoutSession; pi: PaymentIntent }>({
    ...byCreation(checkoutSessions),
    request: query,
    scope: eq(checkoutSessions.merchantId, merchantId),
    unknownCursor: { error: 'checkout.session' },
    query: ({ where, orderBy, limit }) =>
      getDb()
        .select({ session: checkoutSessions, pi: paymentIntents })
        .from(checkoutSessions)
        .innerJoin(paymentIntents, eq(paymentIntents.id, checkoutSessions.paymentIntentId))
        .where(
          and(
            eq(checkoutSessions.merchantId, merchantId),
            query.status ? eq(checkoutSessions.status, query.status) : undefined,
            query.payment_intent ? eq(checkoutSessions.paymentIntentId, query.payment_intent) : undefined,
            query.customer ? eq(checkoutSessions.customerId, query.customer) : undefined,
            where,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
  });
  return listObject('/v1/checkout/sessions', page, ({ session, pi }) => serializeCheckoutSession(session, pi, appUrl));
}

/**
 * POST /v1/checkout/sessions/:id/expire: the merchant closes an open session so it can no longer
 * be paid. Its PaymentIntent is canceled through the one cancel path (which marks the session
 * expired and writes checkout.session.expired in the same transaction). A session whose payment
 * is already at the PSP or done cannot be expired (Stripe's rule: only open sessions).
 */
export async function expireCheckoutSessionNow(merchantId: string, id: string, appUrl: string) {
  const { session, pi } = await getCheckoutSession(getDb(), merchantId, id);
  if (session.status !== 'open') {
    throw new AppError('checkout_session_unexpected_state', `Only Checkout Sessions with a status of open can be expired; this one is ${session.status}.`);
  }
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
    throw new AppError('checkout_session_unexpected_state', `This Checkout Session's payment is ${pi.status}; it can no longer be expired.`);
  }
  await cancelPaymentIntent(merchantId, pi.id, 'abandoned');
  return retrieveCheckoutSessionJson(merchantId, id, appUrl);
}

/** Stripe's line item ('item') of a session; older lines without an id get a stable one from their position. */
function serializeLineItem(cs: CheckoutSession, li: LineItemJson, index: number) {
  return {
    id: li.id ?? `li_${cs.id.slice(3)}${index}`,
    object: 'item' as const,
    adjustable_quantity: null,
    metadata: {},
    description: li.name,
    quantity: li.quantity,
    currency: cs.currency,
    amount_subtotal: li.amount_total,
    amount_discount: 0,
    amount_tax: 0,
    amount_total: li.amount_total,
    price: {
      // an inline price (price_data) is not a stored Price: it has no id
      id: li.price ?? null,
      object: 'price' as const,
      active: li.price !== undefined,
      currency: cs.currency,
      unit_amount: li.unit_amount,
      unit_amount_decimal: String(li.unit_amount),
      product: li.product ?? null,
      type: 'one_time' as const,
      recurring: null,
      billing_scheme: 'per_unit' as const,
      livemode: false,
      metadata: {},
    },
  };
}

export const listLineItemsQuery = z
  .object({ ...pageParams })
  .strict()
  .superRefine(oneCursor);

/** GET /v1/checkout/sessions/:id/line_items, in the order the session was created with. */
export async function listSessionLineItems(merchantId: string, id: string, query: z.output<typeof listLineItemsQuery>) {
  const { session } = await getCheckoutSession(getDb(), merchantId, id);
  const all = session.lineItems.map((li, i) => serializeLineItem(session, li, i));
  let from = 0;
  let to = all.length;
  const cursor = query.starting_after ?? query.ending_before;
  if (cursor !== undefined) {
    const at = all.findIndex((li) => li.id === cursor);
    if (at < 0) throw new AppError('resource_missing', `No such line item: '${cursor}'`, { param: query.starting_after ? 'starting_after' : 'ending_before' });
    if (query.starting_after) from = at + 1;
    else to = at;
  }
  const window = query.ending_before ? all.slice(Math.max(from, to - query.limit), to) : all.slice(from, from + query.limit);
  const hasMore = query.ending_before ? to - query.limit > from : from + query.limit < to;
  return { object: 'list' as const, url: `/v1/checkout/sessions/${session.id}/line_items`, has_more: hasMore, data: window };
}
