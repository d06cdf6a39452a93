import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { apiKeys, merchants, prices, products, users } from '@/db/schema';
import { DEMO_MERCHANT_EMAIL, credentialsFilePath, seedDemo } from '@/db/seed';
import { authenticateSecretKey } from '@/lib/auth/api-keys';
import { verifyPassword } from '@/lib/auth/passwords';
import { DEMO_PRODUCTS } from '@/lib/store/catalog';

let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-seed-'));
});

afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function ownerPasswordHash(): Promise<string> {
  const [user] = await getDb()
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${DEMO_MERCHANT_EMAIL}`);
  if (!user) throw new Error('demo owner missing');
  return user.passwordHash;
}

const demoMerchantCount = async () =>
  (await getDb().select().from(merchants).where(eq(merchants.email, DEMO_MERCHANT_EMAIL))).length;

const productsOf = (merchantId: string) => getDb().select().from(products).where(eq(products.merchantId, merchantId));
/** Each product with its default price: the demo catalogue is sold at prices (lib/catalog). */
const pricedProductsOf = (merchantId: string) =>
  getDb()
    .select({ product: products, price: prices })
    .from(products)
    .innerJoin(prices, eq(prices.id, products.defaultPriceId))
    .where(eq(products.merchantId, merchantId));

describe('seedDemo', () => {
  it('creates the demo merchant, working credentials, a private credentials file and the catalogue', async () => {
    const seeded = await seedDemo({ dataDir });
    expect(seeded.email).toBe(DEMO_MERCHANT_EMAIL);
    expect(seeded.secretKey).toMatch(/^sk_test_/);
    expect((await authenticateSecretKey(`Bearer ${seeded.secretKey}`)).id).toBe(seeded.merchantId);
    expect(await verifyPassword(seeded.password, await ownerPasswordHash())).toBe(true);

    const file = credentialsFilePath(dataDir);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({
      merchant_id: seeded.merchantId,
      email: seeded.email,
      password: seeded.password,
      secret_key: seeded.secretKey,
    });

    const rows = await pricedProductsOf(seeded.merchantId);
    expect(rows.map((r) => r.product.name).sort()).toEqual(DEMO_PRODUCTS.map((p) => p.name).sort());
    for (const { product, price } of rows) {
      expect(price).toMatchObject({ currency: 'usd', active: true, productId: product.id, merchantId: seeded.merchantId });
      expect(price.unitAmount).toBe(DEMO_PRODUCTS.find((p) => p.name === product.name)!.unitAmount);
      await expect(fs.access(path.join(process.cwd(), 'public', product.image!))).resolves.toBeUndefined();
    }
  });

  it('is idempotent: a second run returns the same credentials and adds nothing', async () => {
    const first = await seedDemo({ dataDir });
    const keysBefore = await getDb().select().from(apiKeys).where(eq(apiKeys.merchantId, first.merchantId));
    const second = await seedDemo({ dataDir });
    expect(second).toEqual(first);
    expect(await demoMerchantCount()).toBe(1);
    expect(await productsOf(first.merchantId)).toHaveLength(DEMO_PRODUCTS.length);
    expect(await getDb().select().from(apiKeys).where(eq(apiKeys.merchantId, first.merchantId))).toHaveLength(keysBefore.length);
  });

  it('restores a deleted demo product without duplicating the others', async () => {
    const { merchantId } = await seedDemo({ dataDir });
    const name = DEMO_PRODUCTS[0]!.name;
    const [gone] = await getDb()
      .select()
      .from(products)
      .where(and(eq(products.merchantId, merchantId), eq(products.name, name)));
    await getDb().delete(prices).where(eq(prices.productId, gone!.id));
    await getDb()
      .delete(products)
      .where(and(eq(products.merchantId, merchantId), eq(products.name, name)));
    await seedDemo({ dataDir });
    expect(await productsOf(merchantId)).toHaveLength(DEMO_PRODUCTS.length);
    expect(await pricedProductsOf(merchantId)).toHaveLength(DEMO_PRODUCTS.length);
  });

  it('issues new working credentials for the existing merchant when the file is missing', async () => {
    const before = await seedDemo({ dataDir });
    await fs.rm(credentialsFilePath(dataDir));
    const after = await seedDemo({ dataDir });
    expect(after.merchantId).toBe(before.merchantId);
    expect(after.password).not.toBe(before.password);
    expect(after.secretKey).not.toBe(before.secretKey);
    expect(await verifyPassword(after.password, await ownerPasswordHash())).toBe(true);
    expect((await authenticateSecretKey(`Bearer ${after.secretKey}`)).id).toBe(before.merchantId);
    expect(await demoMerchantCount()).toBe(1);
    expect(JSON.parse(await fs.readFile(credentialsFilePath(dataDir), 'utf8')).secret_key).toBe(after.secretKey);
  });

  it('replaces a password that no longer verifies (another data dir reseeded it) but keeps the key', async () => {
    const before = await seedDemo({ dataDir });
    const otherDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-seed-other-'));
    try {
      const other = await seedDemo({ dataDir: otherDataDir });
      expect(other.password).not.toBe(before.password);
    } finally {
      await fs.rm(otherDataDir, { recursive: true, force: true });
    }
    const after = await seedDemo({ dataDir });
    expect(after.secretKey).toBe(before.secretKey);
    expect(after.password).not.toBe(before.password);
    expect(await verifyPassword(after.password, await ownerPasswordHash())).toBe(true);
  });

  it('replaces a revoked secret key but keeps the password', async () => {
    const before = await seedDemo({ dataDir });
    await getDb().update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.merchantId, before.merchantId));
    const after = await seedDemo({ dataDir });
    expect(after.password).toBe(before.password);
    expect(after.secretKey).not.toBe(before.secretKey);
    expect((await authenticateSecretKey(`Bearer ${after.secretKey}`)).id).toBe(before.merchantId);
  });
});
