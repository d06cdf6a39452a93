import { createHash } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { apiKeys, merchants, type Merchant } from '@/db/schema';
import { recordAudit } from '@/lib/audit';
import { AppError } from '@/lib/errors';
import { newId, randomToken } from '@/lib/ids';
import { assertCan, auditActor, type Actor } from '@/lib/team/actor';
import { parseFormInput } from '@/lib/http/validation';

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

const LAST_USED_RESOLUTION_MS = 60_000;

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
    .select({ merchant: merchants, keyId: apiKeys.id, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .innerJoin(merchants, eq(merchants.id, apiKeys.merchantId))
    .where(and(eq(apiKeys.keyHash, hashSecretKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  const row = rows[0];
  if (!row) throw new AppError('api_key_invalid', `Invalid API key provided: ${redactKey(key)}`);
  // Best effort: last-used is informational, and must not slow or fail the request. It is shown
  // to the minute, so a busy key is not rewritten on every request of its hot path.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    void db
      .update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(eq(apiKeys.id, row.keyId))
      .catch(() => undefined);
  }
  return row.merchant;
}

const PUBLISHABLE_FORMAT = /^pk_(test|live)_[0-9A-Za-z]{16,128}$/;

/** Is this `Authorization` header a publishable key's (`Bearer pk_...`)? */
export function isPublishableAuthorization(authorization: string | null): boolean {
  return /^Bearer\s+pk_/i.test(authorization?.trim() ?? '');
}

/**
 * Resolves `Authorization: Bearer pk_...` to its merchant, or throws a 401. A publishable key is
 * public: the routes that accept it (a PaymentIntent retrieve) also require the object's client
 * secret and show less of it.
 */
export async function authenticatePublishableKey(authorization: string | null): Promise<Merchant> {
  const key = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!key || !PUBLISHABLE_FORMAT.test(key)) {
    throw new AppError('api_key_invalid', 'Invalid API key format. Expected `Authorization: Bearer pk_test_...`.');
  }
  const [merchant] = await getDb().select().from(merchants).where(eq(merchants.publishableKey, key)).limit(1);
  if (!merchant) throw new AppError('api_key_invalid', `Invalid API key provided: ${redactKey(key)}`);
  return merchant;
}

// ---- Dashboard key management (developers page). Every function is scoped to the actor's
// merchant: another merchant's key id behaves exactly like an unknown one.

export interface ApiKeySummary {
  id: string;
  redacted: string;
  mode: 'test' | 'live';
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function listApiKeys(merchantId: string): Promise<ApiKeySummary[]> {
  return getDb()
    .select({ id: apiKeys.id, redacted: apiKeys.redacted, mode: apiKeys.mode, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.merchantId, merchantId))
    .orderBy(sql`${apiKeys.revokedAt} is not null`, desc(apiKeys.createdAt));
}

export interface CreatedKey {
  id: string;
  /** Shown once; only its hash is stored. */
  secretKey: string;
  redacted: string;
}

export async function createApiKey(actor: Actor): Promise<CreatedKey> {
  assertCan(actor, 'keys:write');
  return getDb().transaction(async (tx) => {
    const key = await createSecretKey(tx, actor.user.merchantId);
    await recordAudit(tx, { ...auditActor(actor), action: 'api_key.create', targetType: 'api_key', targetId: key.id });
    return { ...key, redacted: redactKey(key.secretKey) };
  });
}

export const keyIdInput = z.object({ keyId: z.string().min(1).max(100) });

async function lockActiveKey(tx: Tx, merchantId: string, keyId: string) {
  const [key] = await tx
    .select({ id: apiKeys.id, redacted: apiKeys.redacted })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.merchantId, merchantId), isNull(apiKeys.revokedAt)))
    .for('update');
  if (!key) throw new AppError('resource_missing', 'No such active API key.', { param: 'keyId' });
  return key;
}

/** Revokes a key: requests with it get 401 from the next request on (no key cache). */
export async function revokeApiKey(actor: Actor, input: z.input<typeof keyIdInput>): Promise<void> {
  assertCan(actor, 'keys:write');
  const { keyId } = parseFormInput(keyIdInput, input);
  await getDb().transaction(async (tx) => {
    const key = await lockActiveKey(tx, actor.user.merchantId, keyId);
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, key.id), eq(apiKeys.merchantId, actor.user.merchantId)));
    await recordAudit(tx, { ...auditActor(actor), action: 'api_key.revoke', targetType: 'api_key', targetId: key.id, details: { redacted: key.redacted } });
  });
}

/** Replaces a key: a new one (shown once) and the old one revoked, in one transaction. */
export async function rollApiKey(actor: Actor, input: z.input<typeof keyIdInput>): Promise<CreatedKey> {
  assertCan(actor, 'keys:write');
  const { keyId } = parseFormInput(keyIdInput, input);
  return getDb().transaction(async (tx) => {
    const old = await lockActiveKey(tx, actor.user.merchantId, keyId);
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, old.id), eq(apiKeys.merchantId, actor.user.merchantId)));
    const key = await createSecretKey(tx, actor.user.merchantId);
    await recordAudit(tx, { ...auditActor(actor), action: 'api_key.roll', targetType: 'api_key', targetId: old.id, details: { replacedBy: key.id } });
    return { ...key, redacted: redactKey(key.secretKey) };
  });
}
