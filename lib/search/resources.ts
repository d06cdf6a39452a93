import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { customers, paymentAttempts, paymentIntents, type Customer, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { CHARGE_STATUS, chargeFacts, serializeCharge, type ChargeJson } from '@/lib/api-objects/charge';
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
    serialize: async (rows) => {
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
    serialize: async (rows) => rows.map(serializeCustomer),
  });
}

/** A charge's status is several attempt states (lib/api-objects/charge.ts CHARGE_STATUS), searched as Stripe names them. */
const CHARGE_STATUS_VALUES: Record<string, string[]> = {};
for (const [attemptStatus, chargeStatus] of Object.entries(CHARGE_STATUS)) (CHARGE_STATUS_VALUES[chargeStatus] ??= []).push(attemptStatus);

// a charge's customer and metadata are its payment intent's
const intentOfAttempt = (column: typeof paymentIntents.customerId | typeof paymentIntents.metadata) =>
  sql`(select ${column} from ${paymentIntents} where ${paymentIntents.id} = ${paymentAttempts.paymentIntentId})`;

export const CHARGE_SEARCH: SearchColumns = {
  status: { kind: 'string', column: paymentAttempts.status, values: CHARGE_STATUS_VALUES },
  amount: { kind: 'integer', column: paymentAttempts.amount },
  currency: { kind: 'string', column: paymentAttempts.currency },
  created: { kind: 'timestamp', column: paymentAttempts.createdAt },
  payment_intent: { kind: 'string', column: paymentAttempts.paymentIntentId },
  customer: { kind: 'string', column: intentOfAttempt(paymentIntents.customerId) },
  metadata: { kind: 'metadata', column: intentOfAttempt(paymentIntents.metadata) },
};

/** GET /v1/charges/search: a page of charges serialized as GET /v1/charges does (facts read once per page). */
export async function searchCharges(merchantId: string, params: SearchParams) {
  const db = getDb();
  return searchPage<PaymentAttempt, ChargeJson>({
    url: '/v1/charges/search',
    params,
    table: paymentAttempts,
    id: paymentAttempts.id,
    keys: [paymentAttempts.createdAt, paymentAttempts.id],
    scope: eq(paymentAttempts.merchantId, merchantId),
    columns: CHARGE_SEARCH,
    serialize: async (rows) => {
      const intentIds = [...new Set(rows.map((a) => a.paymentIntentId))];
      const intents = intentIds.length ? await db.select().from(paymentIntents).where(inArray(paymentIntents.id, intentIds)) : [];
      const byId = new Map(intents.map((pi) => [pi.id, pi]));
      const facts = await chargeFacts(db, merchantId, intentIds);
      return rows.map((a) => serializeCharge(a, byId.get(a.paymentIntentId)!, facts));
    },
  });
}
