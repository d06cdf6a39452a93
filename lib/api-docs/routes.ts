/**
 * The registry of every route under app/api/v1 (served at /v1 and /api/v1): one line each.
 *
 * Adding a route? Add ONE line below, in its resource's group:
 *   op('POST', '/v1/things/{id}', 'Things', 'Update a thing', { body: updateThingBody, response: objects.thing }),
 * with `body`/`query` the same zod schema your route parses with and `response` an object from
 * ./objects.ts (add the object there if it is new). tests/integration/api-docs.test.ts walks
 * app/api/v1/**\/route.ts and fails for any exported GET/POST/DELETE handler without its line here
 * (and for a line whose route does not exist), so the OpenAPI document at /v1/openapi.json and
 * the reference at /docs/api always list every route.
 */
import { z } from 'zod';
import { createProductBody, createPriceBody, listPricesQuery, listProductsQuery, updatePriceBody, updateProductBody } from '@/lib/catalog';
import { createCheckoutSessionBody, listCheckoutSessionsQuery, listLineItemsQuery } from '@/lib/checkout/sessions';
import { createCustomerBody, listCustomersQuery, updateCustomerBody } from '@/lib/customers';
import { listDeadLettersQuery } from '@/lib/dead-letters';
import { listDisputesQuery } from '@/lib/disputes';
import { listEventsQuery } from '@/lib/events/query';
import { pageQuery } from '@/lib/pagination';
import { listChargesQuery, retrieveChargeQuery } from '@/lib/api-objects/charge';
import { retrievePaymentMethodQuery } from '@/lib/payment-methods';
import {
  attachPaymentMethodBody,
  createPaymentMethodBody,
  detachPaymentMethodBody,
  listCustomerPaymentMethodsQuery,
  listPaymentMethodsQuery,
} from '@/lib/payment-methods/saved-cards';
import { cancelPaymentIntentBody, capturePaymentIntentBody } from '@/lib/payments/cancel-capture';
import { confirmPaymentIntentBody } from '@/lib/payments/confirm';
import {
  createPaymentIntentBody,
  listPaymentIntentsQuery,
  retrievePaymentIntentQuery,
  updatePaymentIntentBody,
} from '@/lib/payments/intents';
import { createRefundBody, listRefundsQuery, updateRefundBody } from '@/lib/refunds';
import { searchParams } from '@/lib/search';
import { listPayoutsQuery } from '@/lib/payouts';
import { listBalanceTransactionsQuery } from '@/lib/wallet/api';
import { createWebhookEndpointBody, updateWebhookEndpointBody } from '@/lib/webhooks/endpoints';
import * as objects from './objects';
import { op, type ApiOperation } from './registry';

const noBody = z.object({}).strict();

export const API_OPERATIONS: ApiOperation[] = [
  // PaymentIntents
  op('POST', '/v1/payment_intents', 'PaymentIntents', 'Create a PaymentIntent', { body: createPaymentIntentBody, response: objects.paymentIntent }),
  op('GET', '/v1/payment_intents', 'PaymentIntents', 'List PaymentIntents', { query: listPaymentIntentsQuery, response: objects.list(objects.paymentIntent) }),
  op('GET', '/v1/payment_intents/search', 'PaymentIntents', 'Search PaymentIntents', { query: searchParams, response: objects.searchResult(objects.paymentIntent), description: "Fields: status, amount, currency, created, email (the receipt email), customer, metadata['key']." }),
  op('GET', '/v1/payment_intents/{id}', 'PaymentIntents', 'Retrieve a PaymentIntent', { query: retrievePaymentIntentQuery, response: objects.paymentIntent, description: 'With a publishable key, pass the client_secret (as Stripe.js does).' }),
  op('POST', '/v1/payment_intents/{id}', 'PaymentIntents', 'Update a PaymentIntent', { body: updatePaymentIntentBody, response: objects.paymentIntent, description: 'Before confirmation only.' }),
  op('POST', '/v1/payment_intents/{id}/confirm', 'PaymentIntents', 'Confirm a PaymentIntent', { body: confirmPaymentIntentBody, response: objects.paymentIntent }),
  op('POST', '/v1/payment_intents/{id}/capture', 'PaymentIntents', 'Capture a PaymentIntent', { body: capturePaymentIntentBody, response: objects.paymentIntent }),
  op('POST', '/v1/payment_intents/{id}/cancel', 'PaymentIntents', 'Cancel a PaymentIntent', { body: cancelPaymentIntentBody, response: objects.paymentIntent }),
  // Charges
  op('GET', '/v1/charges', 'Charges', 'List charges', { query: listChargesQuery, response: objects.list(objects.charge) }),
  op('GET', '/v1/charges/search', 'Charges', 'Search charges', { query: searchParams, response: objects.searchResult(objects.charge), description: "Fields: status (succeeded, pending, failed), amount, currency, created, customer, payment_intent, metadata['key'] (the payment intent's)." }),
  op('GET', '/v1/charges/{id}', 'Charges', 'Retrieve a charge', { query: retrieveChargeQuery, response: objects.charge }),
  // PaymentMethods
  op('POST', '/v1/payment_methods', 'PaymentMethods', 'Create a PaymentMethod (from a card token)', { body: createPaymentMethodBody, response: objects.paymentMethod }),
  op('GET', '/v1/payment_methods', 'PaymentMethods', "List a customer's PaymentMethods", { query: listPaymentMethodsQuery, response: objects.list(objects.paymentMethod) }),
  op('GET', '/v1/payment_methods/{id}', 'PaymentMethods', 'Retrieve a PaymentMethod', { query: retrievePaymentMethodQuery, response: objects.paymentMethod }),
  op('POST', '/v1/payment_methods/{id}/attach', 'PaymentMethods', 'Attach a PaymentMethod to a customer', { body: attachPaymentMethodBody, response: objects.paymentMethod }),
  op('POST', '/v1/payment_methods/{id}/detach', 'PaymentMethods', 'Detach a PaymentMethod from its customer', { body: detachPaymentMethodBody, response: objects.paymentMethod }),
  op('GET', '/v1/customers/{id}/payment_methods', 'PaymentMethods', "List a customer's PaymentMethods", { query: listCustomerPaymentMethodsQuery, response: objects.list(objects.paymentMethod) }),
  // Checkout Sessions
  op('POST', '/v1/checkout/sessions', 'Checkout Sessions', 'Create a Checkout Session', { body: createCheckoutSessionBody, response: objects.checkoutSession }),
  op('GET', '/v1/checkout/sessions', 'Checkout Sessions', 'List Checkout Sessions', { query: listCheckoutSessionsQuery, response: objects.list(objects.checkoutSession) }),
  op('GET', '/v1/checkout/sessions/{id}', 'Checkout Sessions', 'Retrieve a Checkout Session', { response: objects.checkoutSession }),
  op('POST', '/v1/checkout/sessions/{id}/expire', 'Checkout Sessions', 'Expire a Checkout Session', { body: noBody, response: objects.checkoutSession }),
  op('GET', '/v1/checkout/sessions/{id}/line_items', 'Checkout Sessions', "List a Checkout Session's line items", { query: listLineItemsQuery, response: objects.list(objects.lineItem) }),
  // Customers
  op('POST', '/v1/customers', 'Customers', 'Create a customer', { body: createCustomerBody, response: objects.customer }),
  op('GET', '/v1/customers', 'Customers', 'List customers', { query: listCustomersQuery, response: objects.list(objects.customer) }),
  op('GET', '/v1/customers/search', 'Customers', 'Search customers', { query: searchParams, response: objects.searchResult(objects.customer), description: "Fields: email (case-insensitive), name, phone, created, metadata['key']." }),
  op('GET', '/v1/customers/{id}', 'Customers', 'Retrieve a customer', { response: objects.customer }),
  op('POST', '/v1/customers/{id}', 'Customers', 'Update a customer', { body: updateCustomerBody, response: objects.customer }),
  op('DELETE', '/v1/customers/{id}', 'Customers', 'Delete a customer', { response: objects.deleted('customer') }),
  // Products and Prices
  op('POST', '/v1/products', 'Products', 'Create a product', { body: createProductBody, response: objects.product }),
  op('GET', '/v1/products', 'Products', 'List products', { query: listProductsQuery, response: objects.list(objects.product) }),
  op('GET', '/v1/products/{id}', 'Products', 'Retrieve a product', { response: objects.product }),
  op('POST', '/v1/products/{id}', 'Products', 'Update a product', { body: updateProductBody, response: objects.product }),
  op('POST', '/v1/prices', 'Prices', 'Create a price', { body: createPriceBody, response: objects.price }),
  op('GET', '/v1/prices', 'Prices', 'List prices', { query: listPricesQuery, response: objects.list(objects.price) }),
  op('GET', '/v1/prices/{id}', 'Prices', 'Retrieve a price', { response: objects.price }),
  op('POST', '/v1/prices/{id}', 'Prices', 'Update a price', { body: updatePriceBody, response: objects.price }),
  // Refunds
  op('POST', '/v1/refunds', 'Refunds', 'Create a refund', { body: createRefundBody, response: objects.refund, description: 'Refunds a payment_intent or a charge, in full or in part. A refund the balance cannot cover is refused with balance_insufficient.' }),
  op('GET', '/v1/refunds', 'Refunds', 'List refunds', { query: listRefundsQuery, response: objects.list(objects.refund) }),
  op('GET', '/v1/refunds/{id}', 'Refunds', 'Retrieve a refund', { response: objects.refund }),
  op('POST', '/v1/refunds/{id}', 'Refunds', 'Update a refund', { body: updateRefundBody, response: objects.refund }),
  // Balance
  op('GET', '/v1/balance', 'Balance', 'Retrieve the balance', { response: objects.balance }),
  op('GET', '/v1/balance_transactions', 'Balance', 'List balance transactions', { query: listBalanceTransactionsQuery, response: objects.list(objects.balanceTransaction) }),
  op('GET', '/v1/balance_transactions/{id}', 'Balance', 'Retrieve a balance transaction', { response: objects.balanceTransaction }),
  // Disputes
  op('GET', '/v1/payouts', 'Payouts', 'List payouts', { query: listPayoutsQuery, response: objects.list(objects.payout), description: 'Payouts of the available balance to the merchant\'s bank account (filter by status).' }),
  op('GET', '/v1/payouts/{id}', 'Payouts', 'Retrieve a payout', { response: objects.payout }),
  op('GET', '/v1/disputes', 'Disputes', 'List disputes', { query: listDisputesQuery, response: objects.list(objects.dispute) }),
  op('GET', '/v1/disputes/{id}', 'Disputes', 'Retrieve a dispute', { response: objects.dispute }),
  // Events and webhook endpoints
  op('GET', '/v1/events', 'Events', 'List events', { query: listEventsQuery, response: objects.list(objects.event) }),
  op('GET', '/v1/events/{id}', 'Events', 'Retrieve an event', { response: objects.event, description: 'Our extension: `deliveries` lists each webhook delivery of the event and its attempts.' }),
  op('POST', '/v1/events/{id}/redeliver', 'Events', 'Redeliver an event (paykit extension)', { body: noBody, response: z.object({ object: z.literal('list'), data: z.array(z.looseObject({ id: z.string() })) }) }),
  op('POST', '/v1/webhook_endpoints', 'Webhook Endpoints', 'Create a webhook endpoint', { body: createWebhookEndpointBody, response: objects.webhookEndpoint }),
  op('GET', '/v1/webhook_endpoints', 'Webhook Endpoints', 'List webhook endpoints', { query: pageQuery, response: objects.list(objects.webhookEndpoint) }),
  op('GET', '/v1/webhook_endpoints/{id}', 'Webhook Endpoints', 'Retrieve a webhook endpoint', { response: objects.webhookEndpoint }),
  op('POST', '/v1/webhook_endpoints/{id}', 'Webhook Endpoints', 'Update a webhook endpoint', { body: updateWebhookEndpointBody, response: objects.webhookEndpoint }),
  op('DELETE', '/v1/webhook_endpoints/{id}', 'Webhook Endpoints', 'Delete a webhook endpoint', { response: objects.deleted('webhook_endpoint') }),
  // Dead letters (paykit extension)
  op('GET', '/v1/dead_letters', 'Dead letters', 'List dead letters (paykit extension)', { query: listDeadLettersQuery, response: objects.list(objects.deadLetter) }),
  op('POST', '/v1/dead_letters/{id}/replay', 'Dead letters', 'Replay a dead letter (paykit extension)', { body: noBody, response: objects.deadLetter }),
  // This document
  op('GET', '/v1/openapi.json', 'OpenAPI', 'This OpenAPI document', { response: z.record(z.string(), z.unknown()), public: true }),
];
