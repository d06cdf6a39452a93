import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { customers, paymentMethods, type Customer } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { metadataSchema } from '@/lib/http/validation';
import { hasPrefix, newId } from '@/lib/ids';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';

/**
 * Customers (Stripe's Customer object): create, retrieve, update, list, delete. Every change
 * writes its customer.* outbox event in the same transaction. A deleted customer keeps its row
 * (payments and saved cards still name it): retrieve answers Stripe's `{deleted: true}` object,
 * and it can be neither updated nor given new payments or cards.
 */

const unix = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Stripe sends "" to clear a field; null does the same in JSON. */
const clearable = (schema: z.ZodString) =>
  z
    .union([schema, z.literal(''), z.null()])
    .optional()
    .transform((v) => (v === '' ? null : v));

const customerFields = {
  email: clearable(z.string().trim().email().max(320)),
  name: clearable(z.string().trim().max(256)),
  phone: clearable(z.string().trim().max(40)),
  description: clearable(z.string().max(1000)),
  metadata: metadataSchema.optional(),
};

export const createCustomerBody = z.object(customerFields).strict();
export const updateCustomerBody = z.object(customerFields).strict();
export type CreateCustomerBody = z.output<typeof createCustomerBody>;
export type UpdateCustomerBody = z.output<typeof updateCustomerBody>;

export function serializeCustomer(c: Customer) {
  if (c.deletedAt) return serializeDeletedCustomer(c);
  return {
    id: c.id,
    object: 'customer' as const,
    email: c.email,
    name: c.name,
    phone: c.phone,
    description: c.description,
    metadata: c.metadata,
    livemode: false,
    created: unix(c.createdAt),
    // Stripe's fields for what paykit does not keep (balances, invoices, shipping)
    balance: 0,
    default_source: null,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    shipping: null,
  };
}

export function serializeDeletedCustomer(c: Pick<Customer, 'id'>) {
  return { id: c.id, object: 'customer' as const, deleted: true as const };
}

function noSuchCustomer(id: string, param = 'id'): AppError {
  return new AppError('resource_missing', `No such customer: '${id}'`, { param });
}

/** A merchant's customer, deleted or not; another merchant's id is indistinguishable from a missing one. */
export async function findCustomer(db: DbOrTx, merchantId: string, id: string): Promise<Customer | undefined> {
  if (!hasPrefix(id, 'customer')) return undefined;
  const [row] = await db
    .select()
    .from(customers)
    .where(and(eq(customers.id, id), eq(customers.merchantId, merchantId)));
  return row;
}

/**
 * The live customer a payment, a saved card or an update names. `param` names the request field
 * (e.g. `customer` on a PaymentIntent) so the error points at it. Pass `forUpdate` inside a
 * transaction that attaches something to the customer: a concurrent delete then waits for it.
 */
export async function requireLiveCustomer(
  db: DbOrTx,
  merchantId: string,
  id: string,
  options: { param?: string; forUpdate?: boolean } = {},
): Promise<Customer> {
  const param = options.param ?? 'id';
  if (!hasPrefix(id, 'customer')) throw noSuchCustomer(id, param);
  const query = db
    .select()
    .from(customers)
    .where(and(eq(customers.id, id), eq(customers.merchantId, merchantId)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw noSuchCustomer(id, param);
  if (row.deletedAt) {
    throw new AppError('resource_missing', `No such customer: '${id}'; it was deleted.`, { param });
  }
  return row;
}

export async function createCustomer(tx: Tx, merchantId: string, input: CreateCustomerBody): Promise<Customer> {
  const [row] = await tx
    .insert(customers)
    .values({
      id: newId('customer'),
      merchantId,
      email: input.email ?? null,
      name: input.name ?? null,
      phone: input.phone ?? null,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
    })
    .returning();
  if (!row) throw new Error('customer insert returned nothing');
  await emit(tx, 'customer.created', row);
  return row;
}

/** Stripe's metadata update: keys merge into the stored ones, a key set to "" is removed. */
export function mergeMetadata(stored: Record<string, string>, patch: Record<string, string> | undefined): Record<string, string> {
  if (!patch) return stored;
  const merged = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === '') delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

export async function updateCustomer(tx: Tx, merchantId: string, id: string, input: UpdateCustomerBody): Promise<Customer> {
  const current = await requireLiveCustomer(tx, merchantId, id, { forUpdate: true });
  const changes: Partial<typeof customers.$inferInsert> = { updatedAt: new Date() };
  if (input.email !== undefined) changes.email = input.email;
  if (input.name !== undefined) changes.name = input.name;
  if (input.phone !== undefined) changes.phone = input.phone;
  if (input.description !== undefined) changes.description = input.description;
  if (input.metadata !== undefined) changes.metadata = mergeMetadata(current.metadata, input.metadata);
  const [row] = await tx.update(customers).set(changes).where(eq(customers.id, current.id)).returning();
  if (!row) throw new Error(`customer ${id} vanished under its row lock`);
  await emit(tx, 'customer.updated', row, { previous_attributes: previousAttributes(current, row) });
  return row;
}

function previousAttributes(before: Customer, after: Customer): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const key of ['email', 'name', 'phone', 'description'] as const) {
    if (before[key] !== after[key]) previous[key] = before[key];
  }
  if (JSON.stringify(before.metadata) !== JSON.stringify(after.metadata)) previous.metadata = before.metadata;
  return previous;
}

/**
 * Deletes a customer (Stripe's DELETE /v1/customers/:id). Deleting twice answers the same deleted
 * object and writes one customer.deleted event. Its saved cards are detached in the same
 * transaction (customer and card-on-file reference both dropped, as detach does in
 * lib/payment-methods/saved-cards), so nothing can charge them once the customer is gone.
 */
export async function deleteCustomer(tx: Tx, merchantId: string, id: string) {
  const [current] = await tx
    .select()
    .from(customers)
    .where(and(eq(customers.id, id), eq(customers.merchantId, merchantId)))
    .for('update');
  if (!current || !hasPrefix(id, 'customer')) throw noSuchCustomer(id);
  if (current.deletedAt) return serializeDeletedCustomer(current);
  await tx
    .update(paymentMethods)
    .set({ customerId: null, pspToken: null })
    .where(and(eq(paymentMethods.merchantId, merchantId), eq(paymentMethods.customerId, current.id)));
  const [row] = await tx.update(customers).set({ deletedAt: new Date(), updatedAt: new Date() }).where(eq(customers.id, id)).returning();
  if (!row) throw new Error(`customer ${id} vanished under its row lock`);
  await writeOutboxEvent(tx, {
    type: 'customer.deleted',
    merchantId,
    aggregateType: 'customer',
    aggregateId: row.id,
    // Stripe's customer.deleted carries the customer as it was
    data: { object: { ...serializeCustomer(current), deleted: true } },
  });
  return serializeDeletedCustomer(row);
}

async function emit(tx: Tx, type: 'customer.created' | 'customer.updated', row: Customer, extra: Record<string, unknown> = {}) {
  await writeOutboxEvent(tx, {
    type,
    merchantId: row.merchantId,
    aggregateType: 'customer',
    aggregateId: row.id,
    data: { object: serializeCustomer(row), ...extra },
  });
}

export async function retrieveCustomerJson(merchantId: string, id: string) {
  const row = await findCustomer(getDb(), merchantId, id);
  if (!row) throw noSuchCustomer(id);
  return serializeCustomer(row);
}

export const listCustomersQuery = z
  .object({ ...pageParams, email: z.string().trim().max(320).optional() })
  .strict()
  .superRefine(oneCursor);

/**
 * A merchant's live customers matching `condition`, newest first, in keyset pages: the one query
 * behind GET /v1/customers and the customer search (lib/search builds `condition` from the
 * query language over the `customers` columns).
 */
export async function pageOfCustomers(
  merchantId: string,
  page: { limit: number; starting_after?: string; ending_before?: string },
  condition?: SQL,
) {
  return keysetPage<Customer>({
    ...byCreation(customers),
    request: page,
    scope: and(eq(customers.merchantId, merchantId), isNull(customers.deletedAt)),
    filter: condition,
    unknownCursor: { error: 'customer' },
  });
}

/** GET /v1/customers: newest first; `email` matches case-insensitively, as Stripe's does. */
export async function listCustomers(merchantId: string, query: z.output<typeof listCustomersQuery>) {
  const condition = query.email ? sql`lower(${customers.email}) = ${query.email.toLowerCase()}` : undefined;
  const page = await pageOfCustomers(merchantId, query, condition);
  return listObject('/v1/customers', page, serializeCustomer);
}

/** DELETE has no idempotency key: deleting is idempotent by nature, in its own transaction. */
export function deleteCustomerNow(merchantId: string, id: string) {
  return getDb().transaction((tx) => deleteCustomer(tx, merchantId, id));
}
