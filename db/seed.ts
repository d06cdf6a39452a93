import fs from 'node:fs/promises';
import path from 'node:path';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx } from '@/db/client';
import { apiKeys, users } from '@/db/schema';
import { createSecretKey, hashSecretKey } from '@/lib/auth/api-keys';
import { generatePassword, hashPassword, verifyPassword } from '@/lib/auth/passwords';
import { AppError } from '@/lib/errors';
import { createMerchant } from '@/lib/merchants';
import { ensureDemoProducts } from '@/lib/store/catalog';

export const DEMO_MERCHANT_NAME = 'Demo Store';
export const DEMO_MERCHANT_EMAIL = 'demo@paykit.local';
export const DEMO_CREDENTIALS_FILE = 'demo-merchant.json';

export interface DemoCredentials {
  merchantId: string;
  email: string;
  password: string;
  secretKey: string;
}

/** The file's format (snake_case, like the API), validated when read back. */
const credentialsFileSchema = z.object({
  merchant_id: z.string().min(1),
  email: z.string().min(1),
  password: z.string().min(1),
  secret_key: z.string().startsWith('sk_test_'),
});

/**
 * Idempotent demo data for `npm start`: the "Demo Store" merchant with its owner login and a
 * test secret key, plus the demo catalogue. Passwords and keys are stored only as hashes, so the
 * plaintext lives in `<dataDir>/demo-merchant.json` (0600), written when the merchant is created
 * and read back on later starts. When that file is missing or stale (e.g. a DATABASE_URL seeded
 * from another machine), a new password and key are issued and the file is rewritten.
 */
export async function seedDemo(options: { dataDir: string }): Promise<DemoCredentials> {
  const credentials = await ensureDemoMerchant(options.dataDir);
  await ensureDemoProducts(credentials.merchantId);
  return credentials;
}

async function ensureDemoMerchant(dataDir: string): Promise<DemoCredentials> {
  let owner = await findDemoOwner();
  if (!owner) {
    const created = await tryCreateDemoMerchant();
    if (created) return saveCredentials(dataDir, created);
    owner = await findDemoOwner(); // a concurrent start created it first
    if (!owner) throw new Error('demo merchant creation reported a duplicate email, but no such user exists');
  }
  const saved = await readCredentialsFile(dataDir);
  if (!saved || saved.merchantId !== owner.merchantId) return reissueCredentials(dataDir, owner);
  return repairCredentials(dataDir, owner, saved);
}

/**
 * The banner must show a login and key that work. The key may have been revoked (from the
 * dashboard) and the password reset (another data dir seeding the same database); each is
 * replaced on its own, so whatever still works stays the same.
 */
async function repairCredentials(dataDir: string, owner: DemoOwner, saved: DemoCredentials): Promise<DemoCredentials> {
  const keyWorks = await isActiveSecretKey(saved.merchantId, saved.secretKey);
  const passwordWorks = await isOwnerPassword(owner, saved.password);
  if (keyWorks && passwordWorks) return saved;
  const repaired = { ...saved };
  if (!keyWorks) repaired.secretKey = (await createSecretKey(getDb(), saved.merchantId)).secretKey;
  if (!passwordWorks) repaired.password = await setNewOwnerPassword(getDb(), owner);
  return saveCredentials(dataDir, repaired);
}

interface DemoOwner {
  userId: string;
  merchantId: string;
}

async function findDemoOwner(): Promise<DemoOwner | undefined> {
  const rows = await getDb()
    .select({ userId: users.id, merchantId: users.merchantId })
    .from(users)
    .where(sql`lower(${users.email}) = ${DEMO_MERCHANT_EMAIL}`)
    .limit(1);
  return rows[0];
}

/** Creates the demo merchant; undefined when its email is already taken (a concurrent start). */
async function tryCreateDemoMerchant(): Promise<DemoCredentials | undefined> {
  try {
    const created = await createMerchant({ name: DEMO_MERCHANT_NAME, email: DEMO_MERCHANT_EMAIL });
    return { merchantId: created.merchant.id, email: created.email, password: created.password, secretKey: created.secretKey };
  } catch (err) {
    if (err instanceof AppError && err.param === 'email') return undefined;
    throw err;
  }
}

async function isActiveSecretKey(merchantId: string, secretKey: string): Promise<boolean> {
  const rows = await getDb()
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashSecretKey(secretKey)), eq(apiKeys.merchantId, merchantId), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows.length > 0;
}

async function isOwnerPassword(owner: DemoOwner, password: string): Promise<boolean> {
  const [user] = await getDb().select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, owner.userId));
  return user !== undefined && (await verifyPassword(password, user.passwordHash));
}

/** Generates a password for the demo owner and stores its hash; returns the plaintext. */
async function setNewOwnerPassword(db: DbOrTx, owner: DemoOwner): Promise<string> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  await db.update(users).set({ passwordHash }).where(eq(users.id, owner.userId));
  return password;
}

/** A new password for the demo owner and a new secret key, in one transaction. */
async function reissueCredentials(dataDir: string, owner: DemoOwner): Promise<DemoCredentials> {
  const { password, secretKey } = await getDb().transaction(async (tx) => ({
    password: await setNewOwnerPassword(tx, owner),
    secretKey: (await createSecretKey(tx, owner.merchantId)).secretKey,
  }));
  return saveCredentials(dataDir, { merchantId: owner.merchantId, email: DEMO_MERCHANT_EMAIL, password, secretKey });
}

export function credentialsFilePath(dataDir: string): string {
  return path.join(dataDir, DEMO_CREDENTIALS_FILE);
}

async function readCredentialsFile(dataDir: string): Promise<DemoCredentials | undefined> {
  let text: string;
  try {
    text = await fs.readFile(credentialsFilePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined; // a corrupt file is treated as missing: new credentials get issued
  }
  const parsed = credentialsFileSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const f = parsed.data;
  return { merchantId: f.merchant_id, email: f.email, password: f.password, secretKey: f.secret_key };
}

/** Writes the plaintext credentials where only the owner can read them. */
async function saveCredentials(dataDir: string, c: DemoCredentials): Promise<DemoCredentials> {
  const file = credentialsFilePath(dataDir);
  const body = { merchant_id: c.merchantId, email: c.email, password: c.password, secret_key: c.secretKey };
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600); // the mode option only applies when the file is created
  return c;
}
