import { and, eq, inArray } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { products } from '@/db/schema';
import { createProduct } from '@/lib/catalog';

export interface DemoProduct {
  name: string;
  description: string;
  /** Minor units of `currency` (cents). */
  unitAmount: number;
  currency: string;
  /** Path under public/. */
  image: string;
}

/** The demo store's catalogue; its order is the shelf order. */
export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  {
    name: 'Paykit Mug',
    description: 'A 350 ml ceramic mug for the coffee you drink while reconciling settlements.',
    unitAmount: 1400,
    currency: 'USD',
    image: '/products/mug.svg',
  },
  {
    name: 'Paykit T-Shirt',
    description: 'Soft organic cotton tee with a small double-entry logo on the chest.',
    unitAmount: 2500,
    currency: 'USD',
    image: '/products/t-shirt.svg',
  },
  {
    name: 'Ledger Notebook',
    description: 'A5 dotted notebook, 120 pages. Debits on the left, credits on the right.',
    unitAmount: 1200,
    currency: 'USD',
    image: '/products/notebook.svg',
  },
  {
    name: 'Tote Bag',
    description: 'Sturdy canvas tote that carries a laptop and a week of groceries.',
    unitAmount: 1800,
    currency: 'USD',
    image: '/products/tote-bag.svg',
  },
  {
    name: 'Sticker Pack',
    description: 'Six vinyl stickers: idempotency keys, state machines and a happy card.',
    unitAmount: 500,
    currency: 'USD',
    image: '/products/stickers.svg',
  },
  {
    name: 'Paykit Hoodie',
    description: 'Heavyweight fleece hoodie for long on-call nights.',
    unitAmount: 5500,
    currency: 'USD',
    image: '/products/hoodie.svg',
  },
];

/**
 * Inserts the demo products the merchant does not have yet (matched by name), each with its
 * one-time default price (lib/catalog, as the API's default_price_data), so it is safe to run on
 * every start and restores a product that was deleted. Returns how many were inserted.
 */
export async function ensureDemoProducts(merchantId: string): Promise<number> {
  const db = getDb();
  const names = DEMO_PRODUCTS.map((p) => p.name);
  const existing = await db
    .select({ name: products.name })
    .from(products)
    .where(and(eq(products.merchantId, merchantId), inArray(products.name, names)));
  const have = new Set(existing.map((p) => p.name));
  const missing = DEMO_PRODUCTS.map((p, sortOrder) => ({ ...p, sortOrder })).filter((p) => !have.has(p.name));
  if (missing.length === 0) return 0;
  await db.transaction(async (tx) => {
    for (const p of missing) {
      await createProduct(tx, merchantId, {
        name: p.name,
        description: p.description,
        image: p.image,
        sortOrder: p.sortOrder,
        default_price_data: { currency: p.currency, unit_amount: p.unitAmount },
      });
    }
  });
  return missing.length;
}
