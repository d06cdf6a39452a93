import { and, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { customers, paymentIntents, paymentMethods, type Customer, type PaymentMethodRow } from '@/db/schema';
import { findCustomer } from '@/lib/customers';
import { keysetPage, nextCursor, byCreation } from '@/lib/pagination';
import { listMerchantPayments, type PaymentRow } from './payments';

/** The dashboard's Customers section: the merchant's customers and each one's payments and saved cards. */

export interface CustomerRow {
  customer: Customer;
  /** Payments made for the customer, and what they brought in (succeeded ones), per currency. */
  payments: number;
  received: { currency: string; amount: number }[];
}

export const customerFiltersSchema = z.object({
  q: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((v) => (v ? v : undefined)),
  before: z
    .string()
    .regex(/^cus_[0-9A-Za-z]{8,64}$/)
    .optional()
    .catch(undefined),
});

/** Live customers, newest first, 25 a page; `q` matches the email, name or id. */
export async function listDashboardCustomers(merchantId: string, options: { q?: string; before?: string } = {}): Promise<{ rows: CustomerRow[]; nextCursor: string | null }> {
  const q = options.q?.toLowerCase();
  const match = q
    ? sql`(lower(${customers.email}) like ${`%${q}%`} or lower(${customers.name}) like ${`%${q}%`} or ${customers.id} = ${options.q})`
    : undefined;
  const page = await keysetPage<Customer>({
    ...byCreation(customers),
    request: { limit: 25, starting_after: options.before },
    scope: and(eq(customers.merchantId, merchantId), isNull(customers.deletedAt)),
    filter: match,
    unknownCursor: 'first_page',
  });
  const ids = page.rows.map((c) => c.id);
  const totals = ids.length
    ? await getDb()
        .select({
          customerId: paymentIntents.customerId,
          currency: paymentIntents.currency,
          payments: count(),
          received: sql<number>`coalesce(sum(${paymentIntents.amountReceived}), 0)::bigint`.mapWith(Number),
        })
        .from(paymentIntents)
        .where(and(eq(paymentIntents.merchantId, merchantId), inArray(paymentIntents.customerId, ids)))
        .groupBy(paymentIntents.customerId, paymentIntents.currency)
    : [];
  const rows = page.rows.map((customer) => {
    const mine = totals.filter((t) => t.customerId === customer.id);
    return {
      customer,
      payments: mine.reduce((n, t) => n + t.payments, 0),
      received: mine.filter((t) => t.received > 0).map((t) => ({ currency: t.currency, amount: t.received })),
    };
  });
  return { rows, nextCursor: nextCursor(page, (c) => c.id) };
}

export interface CustomerDetail {
  customer: Customer;
  payments: PaymentRow[];
  nextPaymentsCursor: string | null;
  savedCards: PaymentMethodRow[];
}

/** One customer of the merchant (deleted ones too, marked), its payments and its saved cards; null if not the merchant's. */
export async function getCustomerDetail(merchantId: string, id: string, before?: string): Promise<CustomerDetail | null> {
  const customer = await findCustomer(getDb(), merchantId, id);
  if (!customer) return null;
  const [{ rows, nextCursor: next }, savedCards] = await Promise.all([
    listMerchantPayments(merchantId, { customerId: customer.id, before }),
    getDb()
      .select()
      .from(paymentMethods)
      .where(and(eq(paymentMethods.merchantId, merchantId), eq(paymentMethods.customerId, customer.id)))
      .orderBy(sql`${paymentMethods.createdAt} desc`),
  ]);
  return { customer, payments: rows, nextPaymentsCursor: next, savedCards };
}
