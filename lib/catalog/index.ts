import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { prices, products, type Price, type Product } from '@/db/schema';
import { mergeMetadata } from '@/lib/customers';
import { AppError } from '@/lib/errors';
import { metadataSchema } from '@/lib/http/validation';
import { hasPrefix, newId } from '@/lib/ids';
import { assertValidAmount, parseCurrency } from '@/lib/money';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';

/**
 * Products and their one-time Prices (Stripe's Product and Price). A price's amount and currency
 * are fixed once created, as Stripe's are: checkout sessions that named a price charged what it
 * said, and a new amount is a new price (the old one deactivated).
 */

const unix = (d: Date): number => Math.floor(d.getTime() / 1000);

export const httpUrl = z
  .string()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

const productFields = {
  name: z.string().trim().min(1).max(250),
  description: z.union([z.string().max(40000), z.literal('')]).optional(),
  images: z.array(httpUrl).max(8).optional(),
  active: z.boolean().optional(),
  metadata: metadataSchema.optional(),
};

export const createProductBody = z
  .object({
    ...productFields,
    /** Stripe's shortcut: a one-time price created with the product and set as its default. */
    default_price_data: z.object({ currency: z.string().min(3).max(3), unit_amount: z.number() }).strict().optional(),
  })
  .strict();
export const updateProductBody = z.object({ ...productFields, name: productFields.name.optional(), default_price: z.string().max(100).optional() }).strict();

const recurringRefused = z
  .unknown()
  .optional()
  .refine((v) => v === undefined, 'only one-time prices are supported (recurring prices are not)');

export const createPriceBody = z
  .object({
    currency: z.string().min(3).max(3),
    unit_amount: z.number(),
    product: z.string().max(100).optional(),
    product_data: z.object({ name: productFields.name, metadata: metadataSchema.optional() }).strict().optional(),
    active: z.boolean().optional(),
    nickname: z.string().max(250).optional(),
    metadata: metadataSchema.optional(),
    recurring: recurringRefused,
  })
  .strict();
export const updatePriceBody = z
  .object({ active: z.boolean().optional(), nickname: z.union([z.string().max(250), z.literal('')]).optional(), metadata: metadataSchema.optional() })
  .strict();

export type CreateProductBody = z.output<typeof createProductBody>;
export type UpdateProductBody = z.output<typeof updateProductBody>;
export type CreatePriceBody = z.output<typeof createPriceBody>;
export type UpdatePriceBody = z.output<typeof updatePriceBody>;

export function serializeProduct(p: Product) {
  return {
    id: p.id,
    object: 'product' as const,
    active: p.active,
    name: p.name,
    description: p.description,
    images: p.images,
    default_price: p.defaultPriceId,
    metadata: p.metadata,
    livemode: false,
    created: unix(p.createdAt),
    updated: unix(p.updatedAt),
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    unit_label: null,
    url: null,
    marketing_features: [],
    package_dimensions: null,
    tax_details: null,
    type: 'service' as const,
  };
}

export function serializePrice(p: Price) {
  return {
    id: p.id,
    object: 'price' as const,
    active: p.active,
    billing_scheme: 'per_unit' as const,
    currency: p.currency,
    unit_amount: p.unitAmount,
    unit_amount_decimal: String(p.unitAmount),
    product: p.productId,
    nickname: p.nickname,
    metadata: p.metadata,
    type: 'one_time' as const,
    recurring: null,
    lookup_key: null,
    tax_behavior: 'unspecified' as const,
    custom_unit_amount: null,
    tiers_mode: null,
    transform_quantity: null,
    livemode: false,
    created: unix(p.createdAt),
  };
}

const noSuch = (what: 'product' | 'price', id: string, param = 'id') => new AppError('resource_missing', `No such ${what}: '${id}'`, { param });

export async function getProduct(db: DbOrTx, merchantId: string, id: string, param = 'id'): Promise<Product> {
  const [row] = hasPrefix(id, 'product')
    ? await db
        .select()
        .from(products)
        .where(and(eq(products.id, id), eq(products.merchantId, merchantId)))
    : [];
  if (!row) throw noSuch('product', id, param);
  return row;
}

export async function getPrice(db: DbOrTx, merchantId: string, id: string, param = 'id'): Promise<Price> {
  const [row] = hasPrefix(id, 'price')
    ? await db
        .select()
        .from(prices)
        .where(and(eq(prices.id, id), eq(prices.merchantId, merchantId)))
    : [];
  if (!row) throw noSuch('price', id, param);
  return row;
}

async function insertPrice(
  tx: Tx,
  merchantId: string,
  productId: string,
  input: { currency: string; unit_amount: number; active?: boolean; nickname?: string; metadata?: Record<string, string> },
  param: string,
): Promise<Price> {
  const currency = parseCurrency(input.currency, `${param}currency`);
  assertValidAmount(input.unit_amount, currency, `${param}unit_amount`);
  const [row] = await tx
    .insert(prices)
    .values({
      id: newId('price'),
      merchantId,
      productId,
      unitAmount: input.unit_amount,
      currency,
      active: input.active ?? true,
      nickname: input.nickname ?? null,
      metadata: input.metadata ?? {},
    })
    .returning();
  if (!row) throw new Error('price insert returned nothing');
  return row;
}

export async function createProduct(tx: Tx, merchantId: string, input: CreateProductBody & { image?: string; sortOrder?: number }): Promise<Product> {
  const [row] = await tx
    .insert(products)
    .values({
      id: newId('product'),
      merchantId,
      name: input.name,
      description: input.description || null,
      images: input.images ?? [],
      image: input.image ?? null,
      active: input.active ?? true,
      metadata: input.metadata ?? {},
      sortOrder: input.sortOrder ?? 0,
    })
    .returning();
  if (!row) throw new Error('product insert returned nothing');
  if (!input.default_price_data) return row;
  const price = await insertPrice(tx, merchantId, row.id, input.default_price_data, 'default_price_data.');
  const [withPrice] = await tx.update(products).set({ defaultPriceId: price.id }).where(eq(products.id, row.id)).returning();
  return withPrice ?? row;
}

export async function updateProduct(tx: Tx, merchantId: string, id: string, input: UpdateProductBody): Promise<Product> {
  const current = await getProduct(tx, merchantId, id);
  const changes: Partial<typeof products.$inferInsert> = { updatedAt: new Date() };
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description || null;
  if (input.images !== undefined) changes.images = input.images;
  if (input.active !== undefined) changes.active = input.active;
  if (input.metadata !== undefined) changes.metadata = mergeMetadata(current.metadata, input.metadata);
  if (input.default_price !== undefined) {
    const price = await getPrice(tx, merchantId, input.default_price, 'default_price');
    if (price.productId !== current.id) {
      throw new AppError('parameter_invalid', `The price '${price.id}' belongs to another product.`, { param: 'default_price' });
    }
    if (!price.active) throw new AppError('parameter_invalid', 'The default price must be active.', { param: 'default_price' });
    changes.defaultPriceId = price.id;
  }
  const [row] = await tx.update(products).set(changes).where(eq(products.id, current.id)).returning();
  if (!row) throw new Error(`product ${id} vanished during its update`);
  return row;
}

export async function createPrice(tx: Tx, merchantId: string, input: CreatePriceBody): Promise<Price> {
  if ((input.product === undefined) === (input.product_data === undefined)) {
    throw new AppError('parameter_invalid', 'Pass exactly one of product or product_data.', { param: input.product === undefined ? 'product' : 'product_data' });
  }
  const productId = input.product
    ? (await getProduct(tx, merchantId, input.product, 'product')).id
    : (await createProduct(tx, merchantId, { name: input.product_data!.name, metadata: input.product_data!.metadata })).id;
  return insertPrice(tx, merchantId, productId, input, '');
}

export async function updatePrice(tx: Tx, merchantId: string, id: string, input: UpdatePriceBody): Promise<Price> {
  const current = await getPrice(tx, merchantId, id);
  const changes: Partial<typeof prices.$inferInsert> = { updatedAt: new Date() };
  if (input.active !== undefined) changes.active = input.active;
  if (input.nickname !== undefined) changes.nickname = input.nickname || null;
  if (input.metadata !== undefined) changes.metadata = mergeMetadata(current.metadata, input.metadata);
  const [row] = await tx.update(prices).set(changes).where(eq(prices.id, current.id)).returning();
  if (!row) throw new Error(`price ${id} vanished during its update`);
  return row;
}

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listProductsQuery = z
  .object({ ...pageParams, active: z.union([z.boolean(), booleanQuery]).optional() })
  .strict()
  .superRefine(oneCursor);
export const listPricesQuery = z
  .object({ ...pageParams, active: z.union([z.boolean(), booleanQuery]).optional(), product: z.string().max(100).optional(), type: z.literal('one_time').optional() })
  .strict()
  .superRefine(oneCursor);

export async function listProducts(merchantId: string, query: z.output<typeof listProductsQuery>) {
  const page = await keysetPage<Product>({
    ...byCreation(products),
    request: query,
    scope: eq(products.merchantId, merchantId),
    filter: query.active === undefined ? undefined : eq(products.active, query.active),
    unknownCursor: { error: 'product' },
  });
  return listObject('/v1/products', page, serializeProduct);
}

export async function listPrices(merchantId: string, query: z.output<typeof listPricesQuery>) {
  const page = await keysetPage<Price>({
    ...byCreation(prices),
    request: query,
    scope: eq(prices.merchantId, merchantId),
    filter: and(
      query.active === undefined ? undefined : eq(prices.active, query.active),
      query.product === undefined ? undefined : eq(prices.productId, query.product),
    ),
    unknownCursor: { error: 'price' },
  });
  return listObject('/v1/prices', page, serializePrice);
}

export async function retrieveProductJson(merchantId: string, id: string) {
  return serializeProduct(await getProduct(getDb(), merchantId, id));
}

export async function retrievePriceJson(merchantId: string, id: string) {
  return serializePrice(await getPrice(getDb(), merchantId, id));
}

export interface SellablePrice {
  price: Price;
  product: Product;
}

/**
 * The prices a checkout names, with their products, as they are when the session is created:
 * each must be the merchant's, active, and of an active product (Stripe refuses inactive ones).
 * `paramOf(i)` names the line item in errors.
 */
export async function sellablePrices(db: DbOrTx, merchantId: string, priceIds: readonly string[], paramOf: (i: number) => string): Promise<SellablePrice[]> {
  const wanted = [...new Set(priceIds.filter((id) => hasPrefix(id, 'price')))];
  const rows = wanted.length
    ? await db
        .select({ price: prices, product: products })
        .from(prices)
        .innerJoin(products, eq(products.id, prices.productId))
        .where(and(eq(prices.merchantId, merchantId), inArray(prices.id, wanted)))
    : [];
  const byId = new Map(rows.map((r) => [r.price.id, r]));
  return priceIds.map((id, i) => {
    const found = byId.get(id);
    if (!found) throw noSuch('price', id, paramOf(i));
    if (!found.price.active) {
      throw new AppError('parameter_invalid', `The price specified is inactive. This field only accepts active prices: '${id}'.`, { param: paramOf(i) });
    }
    if (!found.product.active) {
      throw new AppError('parameter_invalid', `The price '${id}' belongs to an inactive product. Line items only accept active products.`, {
        param: paramOf(i),
      });
    }
    return found;
  });
}
