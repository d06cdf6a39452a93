import { z } from 'zod';

/**
 * The objects the API answers with, for the OpenAPI document: the fields an integration reads,
 * named as Stripe names them. Requests are documented by the very zod schemas that validate them
 * (see ./routes.ts); these answer schemas document, they validate nothing. Objects may carry more
 * fields than listed (each is a loose object), as Stripe's do between versions.
 */

const id = (prefix: string) => z.string().meta({ description: `Unique identifier, starting with ${prefix}_.`, example: `${prefix}_1Ab2Cd3Ef4Gh5Ij6Kl7Mn8Op` });
const unix = z.number().int().meta({ description: 'Time at which the object was created, in unix seconds.' });
const amount = z.number().int().meta({ description: 'Amount in the smallest currency unit (cents; yen for JPY).' });
const currency = z.string().meta({ description: 'Three-letter ISO 4217 currency code, lowercase.', example: 'usd' });
const metadata = z.record(z.string(), z.string()).meta({ description: 'Your own key/value pairs.' });

export const apiError = z
  .object({
    error: z.looseObject({
      type: z.enum(['api_error', 'card_error', 'idempotency_error', 'invalid_request_error', 'authentication_error', 'rate_limit_error']),
      code: z.string().optional(),
      decline_code: z.string().optional(),
      message: z.string(),
      param: z.string().optional(),
      doc_url: z.string().optional(),
      payment_intent: z.looseObject({ id: z.string() }).optional(),
    }),
  })
  .meta({ id: 'Error', description: "Stripe's error object." });

export const paymentIntent = z
  .looseObject({
    id: id('pi'),
    object: z.literal('payment_intent'),
    amount,
    amount_capturable: amount,
    amount_received: amount,
    currency,
    status: z.enum(['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'canceled', 'succeeded']),
    capture_method: z.string(),
    client_secret: z.string().nullable().optional(),
    customer: z.string().nullable().optional(),
    description: z.string().nullable(),
    latest_charge: z.string().nullable().optional(),
    payment_method: z.unknown().optional(),
    metadata,
    created: unix,
  })
  .meta({ id: 'PaymentIntent' });

export const charge = z
  .looseObject({
    id: id('ch'),
    object: z.literal('charge'),
    amount,
    amount_captured: amount,
    amount_refunded: amount,
    currency,
    status: z.enum(['succeeded', 'pending', 'failed']),
    paid: z.boolean(),
    captured: z.boolean(),
    refunded: z.boolean(),
    payment_intent: z.string().nullable(),
    balance_transaction: z.string().nullable(),
    created: unix,
  })
  .meta({ id: 'Charge' });

export const checkoutSession = z
  .looseObject({
    id: id('cs'),
    object: z.literal('checkout.session'),
    url: z.string().nullable(),
    status: z.string(),
    payment_status: z.string(),
    payment_intent: z.string().nullable(),
    amount_total: amount.nullable(),
    currency,
    success_url: z.string().nullable(),
    cancel_url: z.string().nullable(),
    expires_at: unix,
    created: unix,
  })
  .meta({ id: 'CheckoutSession' });

export const refund = z
  .looseObject({
    id: id('re'),
    object: z.literal('refund'),
    amount,
    charge: z.string().nullable(),
    currency,
    metadata,
    payment_intent: z.string(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).nullable(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    failure_reason: z.string().nullable(),
    created: unix,
  })
  .meta({ id: 'Refund' });

export const balance = z
  .looseObject({
    object: z.literal('balance'),
    available: z.array(z.object({ amount, currency })),
    pending: z.array(z.object({ amount, currency })),
    livemode: z.boolean().optional(),
  })
  .meta({ id: 'Balance' });

export const balanceTransaction = z
  .looseObject({
    id: id('jtx'),
    object: z.literal('balance_transaction'),
    amount,
    available_on: z.number().int().nullable().meta({ description: 'When the funds became available; null while the PSP has not settled them.' }),
    created: unix,
    currency,
    description: z.string().nullable(),
    fee: amount,
    fee_details: z.array(z.looseObject({ amount, currency, type: z.string() })),
    net: amount,
    reporting_category: z.string(),
    source: z.string().nullable(),
    status: z.enum(['available', 'pending']),
    type: z.string(),
  })
  .meta({ id: 'BalanceTransaction' });

export const event = z
  .looseObject({
    id: id('evt'),
    object: z.literal('event'),
    api_version: z.string(),
    created: unix,
    data: z.looseObject({ object: z.record(z.string(), z.unknown()), previous_attributes: z.record(z.string(), z.unknown()).optional() }),
    livemode: z.boolean(),
    pending_webhooks: z.number().int(),
    request: z.object({ id: z.string().nullable(), idempotency_key: z.string().nullable() }),
    type: z.string(),
  })
  .meta({ id: 'Event' });

export const webhookEndpoint = z
  .looseObject({
    id: id('we'),
    object: z.literal('webhook_endpoint'),
    api_version: z.string().nullable(),
    created: unix,
    description: z.string().nullable(),
    enabled_events: z.array(z.string()),
    livemode: z.boolean(),
    metadata,
    secret: z.string().optional().meta({ description: 'The signing secret (whsec_...), in the create response only.' }),
    status: z.enum(['enabled', 'disabled']),
    url: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const dispute = z
  .looseObject({
    id: id('dp'),
    object: z.literal('dispute'),
    amount,
    charge: z.string().nullable(),
    currency,
    payment_intent: z.string(),
    reason: z.string(),
    status: z.string(),
    is_charge_refundable: z.boolean(),
    created: unix,
  })
  .meta({ id: 'Dispute' });

export const payout = z
  .looseObject({
    id: id('po'),
    object: z.literal('payout'),
    amount,
    arrival_date: unix,
    automatic: z.boolean(),
    balance_transaction: z.string().nullable(),
    created: unix,
    currency,
    destination: z.string(),
    method: z.literal('standard'),
    status: z.enum(['in_transit', 'paid', 'failed']),
    type: z.literal('bank_account'),
  })
  .meta({ id: 'Payout' });

export const deadLetter = z.looseObject({ id: z.string(), object: z.literal('dead_letter') }).meta({ id: 'DeadLetter' });

export const paymentMethod = z
  .looseObject({
    id: id('pm'),
    object: z.literal('payment_method'),
    type: z.string(),
    card: z
      .looseObject({ brand: z.string(), last4: z.string(), exp_month: z.number().int(), exp_year: z.number().int(), fingerprint: z.string().nullable() })
      .nullable()
      .optional(),
    customer: z.string().nullable(),
    metadata,
    created: unix,
  })
  .meta({ id: 'PaymentMethod' });

export const customer = z
  .looseObject({
    id: id('cus'),
    object: z.literal('customer'),
    email: z.string().nullable(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    metadata,
    created: unix,
  })
  .meta({ id: 'Customer' });

export const product = z
  .looseObject({
    id: id('prod'),
    object: z.literal('product'),
    active: z.boolean(),
    name: z.string(),
    description: z.string().nullable(),
    images: z.array(z.string()),
    default_price: z.unknown().nullable(),
    metadata,
    created: unix,
  })
  .meta({ id: 'Product' });

export const price = z
  .looseObject({
    id: id('price'),
    object: z.literal('price'),
    active: z.boolean(),
    currency,
    product: z.unknown(),
    type: z.literal('one_time'),
    unit_amount: amount.nullable(),
    metadata,
    created: unix,
  })
  .meta({ id: 'Price' });

export const lineItem = z
  .looseObject({
    id: z.string(),
    object: z.literal('item'),
    amount_total: amount,
    currency,
    description: z.string().nullable(),
    price: z.unknown().nullable(),
    quantity: z.number().int().nullable(),
  })
  .meta({ id: 'LineItem' });

export const deleted = (object: string) => z.object({ id: z.string(), object: z.literal(object), deleted: z.literal(true) });

/** Stripe's list of objects (`GET /v1/<resource>`). */
export const list = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(item) });

/** Stripe's search result (`GET /v1/<resource>/search`). */
export const searchResult = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal('search_result'), url: z.string(), has_more: z.boolean(), next_page: z.string().nullable(), data: z.array(item) });
