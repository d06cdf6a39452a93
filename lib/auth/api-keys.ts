import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { getDb, type DbOrTx } from '@/db/client';
import { apiKeys, merchants, type Merchant } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { newId, randomToken } from '@/lib/ids';

export function hashSecretKey(secretKey: string): string {
  return createHash('sha256').update(secretKey).digest('hex');
}

export function redactKey(secretKey: string): string {
  return `${secretKey.slice(0, 12)}...${secretKey.slice(-4)}`;
}

/** Creates a test secret key; the plaintext is returned once and only its hash is stored. */
export async function createSecretKey(db: DbOrTx, merchantId: string): Promise<{ id: string; secretKey: string }> {
  const secretKey = `sk_test_${randomToken(32)}`;
  const id = newId('apiKey');
  await db.insert(apiKeys).values({ id, merchantId, keyHash: hashSecretKey(secretKey), redacted: redactKey(secretKey) });
  return { id, secretKey };
}

const KEY_FORMAT = /^sk_(test|live)_[0-9A-Za-z]{16,128}$/;

/** Resolves `Authorization: Bearer sk_...` to its merchant, or throws a 401 AppError. */
export async function authenticateSecretKey(authorization: string | null): Promise<Merchant> {
  if (!authorization) {
    throw new AppError('api_key_missing', 'No API key provided. Send it as `Authorization: Bearer sk_test_...`.');
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  const key = match?.[1];
  if (!key || !KEY_FORMAT.test(key)) {
    throw new AppError('api_key_invalid', 'Invalid API key format. Expected `Authorization: Bearer sk_test_...`.');
  }
  const db = getDb();
  const rows = await db
    .select({ merchant: merchants, keyId: apiKeys.id })
    .from(apiKeys)
    .innerJoin(merchants, eq(merchants.id, apiKeys.merchantId))
    .where(and(eq(apiKeys.keyHash, hashSecretKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  const row = rows[0];
  if (!row) throw new AppError('api_key_invalid', `Invalid API key provided: ${redactKey(key)}`);
  // Best effort: last-used is informational, and must not slow or fail the request.
  void db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(eq(apiKeys.id, row.keyId))
    .catch(() => undefined);
  return row.merchant;
}
