import type Stripe from 'stripe';
import { expect } from 'vitest';

/** The keys a type requires (present, even if null): what the SDK's types promise every object has. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type KeyList<T> = Record<Exclude<RequiredKeys<T>, 'lastResponse'>, true>;

/*
 * The required fields of the SDK's own types, checked by the compiler in both directions:
 * `satisfies` fails when the SDK requires a field missing here, and the object literal fails on
 * a key the SDK does not require. Upgrading the `stripe` package re-checks them.
 */
const PAYMENT_INTENT = {
  id: true, object: true, allowed_payment_method_types: true, amount: true, amount_capturable: true, amount_received: true,
  application: true, application_fee_amount: true, automatic_payment_methods: true, canceled_at: true, cancellation_reason: true,
  capture_method: true, client_secret: true, confirmation_method: true, created: true, currency: true, customer: true,
  customer_account: true, description: true, excluded_payment_method_types: true, last_payment_error: true, latest_charge: true,
  livemode: true, managed_payments: true, metadata: true, next_action: true, on_behalf_of: true, payment_method: true,
  payment_method_configuration_details: true, payment_method_options: true, payment_method_types: true, payment_record: true,
  processing: true, receipt_email: true, review: true, setup_future_usage: true, shipping: true, source: true,
  statement_descriptor: true, statement_descriptor_suffix: true, status: true, transfer_group: true,
} satisfies KeyList<Stripe.PaymentIntent>;

const CHARGE = {
  id: true, object: true, amount: true, amount_captured: true, amount_refunded: true, application: true, application_fee: true,
  application_fee_amount: true, balance_transaction: true, billing_details: true, calculated_statement_descriptor: true,
  captured: true, created: true, currency: true, customer: true, description: true, disputed: true,
  failure_balance_transaction: true, failure_code: true, failure_message: true, fraud_details: true, livemode: true,
  metadata: true, on_behalf_of: true, outcome: true, paid: true, payment_intent: true, payment_method: true,
  payment_method_details: true, receipt_email: true, receipt_number: true, receipt_url: true, refunded: true, review: true,
  shipping: true, source: true, source_transfer: true, statement_descriptor: true, statement_descriptor_suffix: true,
  status: true, transfer_data: true, transfer_group: true,
} satisfies KeyList<Stripe.Charge>;

const PAYMENT_METHOD = {
  id: true, object: true, billing_details: true, created: true, customer: true, customer_account: true, livemode: true,
  metadata: true, type: true,
} satisfies KeyList<Stripe.PaymentMethod>;

const CARD = {
  brand: true, checks: true, country: true, display_brand: true, exp_month: true, exp_year: true, funding: true, last4: true,
  generated_from: true, networks: true, regulated_status: true, three_d_secure_usage: true, wallet: true,
} satisfies KeyList<Stripe.PaymentMethod.Card>;

const CUSTOMER = {
  id: true, object: true, balance: true, created: true, default_source: true, description: true, email: true,
  invoice_settings: true, livemode: true, metadata: true, shipping: true,
} satisfies KeyList<Stripe.Customer>;

const PRODUCT = {
  id: true, object: true, active: true, created: true, description: true, images: true, livemode: true, marketing_features: true,
  metadata: true, name: true, package_dimensions: true, shippable: true, tax_details: true, type: true, updated: true, url: true,
} satisfies KeyList<Stripe.Product>;

const PRICE = {
  id: true, object: true, active: true, billing_scheme: true, created: true, currency: true, custom_unit_amount: true,
  livemode: true, lookup_key: true, metadata: true, nickname: true, product: true, recurring: true, tax_behavior: true,
  tiers_mode: true, transform_quantity: true, type: true, unit_amount: true, unit_amount_decimal: true,
} satisfies KeyList<Stripe.Price>;

const LINE_ITEM = {
  id: true, object: true, adjustable_quantity: true, amount_discount: true, amount_subtotal: true, amount_tax: true,
  amount_total: true, currency: true, description: true, metadata: true, price: true, quantity: true,
} satisfies KeyList<Stripe.LineItem>;

const REQUIRED = {
  payment_intent: PAYMENT_INTENT,
  charge: CHARGE,
  payment_method: PAYMENT_METHOD,
  card: CARD,
  customer: CUSTOMER,
  product: PRODUCT,
  price: PRICE,
  line_item: LINE_ITEM,
};

/** Asserts at run time that the object has every field the SDK's type for it requires. */
export function expectStripeFields(kind: keyof typeof REQUIRED, object: object): void {
  const missing = Object.keys(REQUIRED[kind]).filter((key) => !Object.hasOwn(object, key));
  expect(missing, `${kind} lacks fields the SDK's type requires`).toEqual([]);
}
