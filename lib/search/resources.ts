import { and, eq, isNull } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { customers, paymentIntents, type Customer, type PaymentIntent } from '@/db/schema';
import { serializeCustomer } from '@/lib/customers';
import { serializePaymentIntent } from '@/lib/payments/serialize';
import { refundedAmounts } from '@/lib/refunds/amounts';
import { searchPage, type SearchColumns, type SearchParams } from './index';

/**
 * The searchable fields of each resource (Stripe's names), mapped to our columns. Emails match
 * case-insensitively, as addresses do; every other string matches exactly.
 */
export const PAYMENT_INTENT_SEARCH: SearchColumns = {
  status: { kind: 'string', column: paymentIntents.status },
  amount: { kind: 'integer', column: paymentIntents.amount },
  currency: { kind: 'string', column: paymentIntents.currency },
  created: { kind: 'timestamp', column: paymentIntents.createdAt },
  customer: { kind: 'string', column: paymentIntents.customerId },
  email: { kind: 'string', column: paymentIntents.customerEmail, caseInsensitive: true },
  metadata: { kind: 'metadata', column: paymentIntents.metadata },
};

/** GET /v1/payment_intents/search */
export async function searchPaymentIntents(merchantId: string, params: SearchParams) {
  return searchPage<PaymentIntent, ReturnType<typeof serializePaymentIntent>>({
    url: '/v1/payment_intents/search',
    params,
    table: paymentIntents,
    id: paymentIntents.id,
    keys: [paymentIntents.createdAt, paymentIntents.id],
    scope: eq(paymentIntents.merchantId, merchantId),
    columns: PAYMENT_INTENT_SEARCH,
    serialize: (pi) => serializePaymentIntent(pi),
    serializeAll: async (rows) => {
      const refunded = await refundedAmounts(getDb(), rows.map((pi) => pi.id));
      return rows.map((pi) => serializePaymentIntent(pi, null, refunded.get(pi.id) ?? 0));
    },
  });
}


export const CUSTOMER_SEARCH: SearchColumns = {
  email: { kind: 'string', column: customers.email, caseInsensitive: true },
  name: { kind: 'string', column: customers.name },
  phone: { kind: 'string', column: customers.phone },
  created: { kind: 'timestamp', column: customers.createdAt },
  metadata: { kind: 'metadata', column: customers.metadata },
};

/** GET /v1/customers/search: the merchant's live customers (deleted ones are gone, as in Stripe). */
export async function searchCustomers(merchantId: string, params: SearchParams) {
  return searchPage<Customer, ReturnType<typeof serializeCustomer>>({
    url: '/v1/customers/search',
    params,
    table: customers,
    id: customers.id,
    keys: [customers.createdAt, customers.id],
    scope: and(eq(customers.merchantId, merchantId), isNull(customers.deletedAt)),
    columns: CUSTOMER_SEARCH,
    serialize: serializeCustomer,
  });
}
