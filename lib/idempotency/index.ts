import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { idempotencyKeys } from '@/db/schema';
import { AppError, toApiErrorBody } from '@/lib/errors';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyScope {
  merchantId: string;
  key: string;
  /** "POST /api/v1/payment_intents": a key is bound to the endpoint it was first used on. */
  endpoint: string;
  /** The validated request body; its canonical hash decides "same request or not". */
  body: unknown;
  /** How long another request with this key is refused while this one runs. */
  lockMs?: number;
}

export interface IdempotentOutcome extends StoredResponse {
  /**
   * The exact JSON text to send. It is what was stored, so a replay is byte-for-byte the first
   * answer (a client may hash or sign it); `body` is the same value parsed, for callers in-process.
   */
  bodyJson: string;
  replayed: boolean;
}

type SerializedResponse = StoredResponse & { bodyJson: string };

/** The one serialization of a response: stored as text and sent as is. */
function serialize(response: StoredResponse): SerializedResponse {
  return { ...response, bodyJson: JSON.stringify(response.body) ?? 'null' };
}

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export function assertValidIdempotencyKey(key: string): void {
  if (!KEY_FORMAT.test(key)) {
    throw new AppError('idempotency_key_invalid', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.');
  }
}

/** Stable JSON: object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function requestHash(endpoint: string, body: unknown): string {
  return createHash('sha256').update(endpoint).update('\n').update(canonicalJson(body)).digest('hex');
}

/**
 * Runs a POST at most once per (merchant, Idempotency-Key) within 24 hours.
 * - same key, same body, finished -> the stored status and body (replayed: true)
 * - same key, other body or endpoint -> 400 idempotency_key_reused
 * - same key while the first request still runs -> 409 idempotency_key_in_use
 * 5xx outcomes and thrown errors are not stored: the key is released, so a retry after a server
 * failure runs again (every handler is itself safe to re-run: see the callers). Validation
 * happens before this is called, so a request that failed validation never claims a key.
 * The stored body is the response's JSON text, replayed verbatim.
 *
 * `handler` gets a transaction; the stored response is written in that same transaction, so for
 * purely-database handlers the effect and the stored response commit together or not at all.
 */
export async function withIdempotency(
  scope: IdempotencyScope,
  handler: (tx: Tx) => Promise<StoredResponse>,
): Promise<IdempotentOutcome> {
  return runOnce(scope, () =>
    getDb().transaction(async (tx) => {
      const response = serialize(await handler(tx));
      if (response.status >= 500) throw new UnstoredResponse(response);
      await storeResponse(tx, scope, response);
      return response;
    }),
  );
}

/**
 * The same contract for handlers that call a PSP between their own transactions (confirm,
 * cancel, capture). Their response is stored after they finish; if the process dies before
 * that, the key's lock expires and a retry runs the handler again, which is safe because each
 * such handler is idempotent on its own (state checks plus the PSP idempotency key).
 */
export async function withIdempotentCall(scope: IdempotencyScope, handler: () => Promise<StoredResponse>): Promise<IdempotentOutcome> {
  return runOnce(scope, async () => {
    const response = serialize(await handler());
    if (response.status >= 500) throw new UnstoredResponse(response);
    await storeResponse(getDb(), scope, response);
    return response;
  });
}

/**
 * Why a thrown error (an unknown error, a 500) releases the key instead of being stored as the
 * outcome: a 500 is our fault, not the request's result, and every handler here is safe to run
 * again (state checks plus PSP idempotency keys), so the client's retry with the same key gets a
 * real answer instead of the same 500 for 24 hours. (Stripe's v1 documentation says it saves 500s
 * as well; we choose not to pin a client to our own fault, since re-running is safe here.)
 * Nothing can leave the key in_progress for good: if even the release fails (the database is
 * gone) or the process dies mid-request, the key's lock (lockMs, 60 s by default; 120 s for the
 * PSP-calling routes) expires and the next request with the key takes it over (claimKey).
 */
async function runOnce(scope: IdempotencyScope, execute: () => Promise<SerializedResponse>): Promise<IdempotentOutcome> {
  assertValidIdempotencyKey(scope.key);
  const hash = requestHash(scope.endpoint, scope.body);
  const existing = await claimKey(scope, hash);
  if (existing) return existing;
  try {
    return { ...(await execute()), replayed: false };
  } catch (err) {
    if (err instanceof AppError && (VALIDATION_CODES.has(err.code) || err.conflict)) {
      // Invalid parameters are not a result, nor is a conflict with a request in flight (as at
      // Stripe): the key stays free for a corrected or later request.
      await releaseKeyAfterFailure(scope);
      throw err;
    }
    if (err instanceof AppError && err.status < 500) {
      // A business outcome (decline, wrong state...): stored and replayed like a success. If it
      // cannot be stored, the key is released: a retry re-runs, which every handler allows.
      const outcome = serialize({ status: err.status, body: toApiErrorBody(err) });
      await storeResponse(getDb(), scope, outcome).catch(async (storeErr: unknown) => {
        console.error(`[idempotency] could not store the outcome for key ${scope.key}; releasing it:`, storeErr);
        await releaseKeyAfterFailure(scope);
      });
      throw err;
    }
    await releaseKeyAfterFailure(scope);
    if (err instanceof UnstoredResponse) return { ...err.response, replayed: false };
    throw err;
  }
}

/** Releases the key; a failure to do so is logged, not thrown over the original error (the lock expiry frees it). */
async function releaseKeyAfterFailure(scope: IdempotencyScope): Promise<void> {
  await releaseKey(scope).catch((releaseErr: unknown) => {
    console.error(`[idempotency] could not release key ${scope.key}; it frees itself when its lock expires:`, releaseErr);
  });
}

const VALIDATION_CODES = new Set<string>([
  'parameter_invalid',
  'parameter_missing',
  'parameter_unknown',
  'amount_too_small',
  'amount_too_large',
  'currency_unsupported',
  'body_invalid_json',
]);

class UnstoredResponse extends Error {
  constructor(readonly response: SerializedResponse) {
    super('response not stored');
  }
}


/** Returns a stored outcome to replay, or null when this request now owns the key. */
async function claimKey(scope: IdempotencyScope, hash: string): Promise<IdempotentOutcome | null> {
  const db = getDb();
  const now = Date.now();
  const lockMs = scope.lockMs ?? 60_000;
  for (let tries = 0; tries < 3; tries++) {
    const inserted = await db
      .insert(idempotencyKeys)
      .values({
        merchantId: scope.merchantId,
        key: scope.key,
        endpoint: scope.endpoint,
        requestHash: hash,
        state: 'in_progress',
        lockedUntil: new Date(now + lockMs),
        expiresAt: new Date(now + IDEMPOTENCY_TTL_MS),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return null;

    const [row] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.merchantId, scope.merchantId), eq(idempotencyKeys.key, scope.key)));
    if (!row) continue; // released between our insert and select: try again
    if (row.expiresAt.getTime() <= now) {
      await db
        .delete(idempotencyKeys)
        .where(and(eq(idempotencyKeys.merchantId, scope.merchantId), eq(idempotencyKeys.key, scope.key), lt(idempotencyKeys.expiresAt, new Date(now))));
      continue;
    }
    if (row.endpoint !== scope.endpoint || row.requestHash !== hash) {
      throw new AppError(
        'idempotency_key_reused',
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${scope.key}' if you meant to execute a different request.`,
      );
    }
    if (row.state === 'completed') {
      const bodyJson = row.responseBody ?? 'null';
      return { status: row.responseStatus ?? 200, body: JSON.parse(bodyJson) as unknown, bodyJson, replayed: true };
    }
    if (row.lockedUntil.getTime() > now) {
      throw new AppError('idempotency_key_in_use', 'There is currently another in-progress request using this Idempotency-Key. Retry after it finishes.');
    }
    // The request that held the key died mid-way: take it over, atomically, if nobody else did.
    const taken = await db
      .update(idempotencyKeys)
      .set({ lockedUntil: new Date(now + lockMs) })
      .where(
        and(
          eq(idempotencyKeys.merchantId, scope.merchantId),
          eq(idempotencyKeys.key, scope.key),
          eq(idempotencyKeys.state, 'in_progress'),
          lt(idempotencyKeys.lockedUntil, new Date(now)),
        ),
      )
      .returning({ key: idempotencyKeys.key });
    if (taken.length > 0) return null;
  }
  throw new AppError('idempotency_key_in_use', 'There is currently another in-progress request using this Idempotency-Key.');
}

async function storeResponse(
  db: Tx | ReturnType<typeof getDb>,
  scope: IdempotencyScope,
  response: SerializedResponse,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: 'completed', responseStatus: response.status, responseBody: response.bodyJson })
    .where(and(eq(idempotencyKeys.merchantId, scope.merchantId), eq(idempotencyKeys.key, scope.key)));
}

async function releaseKey(scope: IdempotencyScope): Promise<void> {
  await getDb()
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.merchantId, scope.merchantId),
        eq(idempotencyKeys.key, scope.key),
        eq(idempotencyKeys.state, 'in_progress'),
      ),
    );
}

/** Deletes keys past their 24 hours. */
export async function purgeExpiredIdempotencyKeys(): Promise<number> {
  const rows = await getDb()
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, sql`now()`))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
