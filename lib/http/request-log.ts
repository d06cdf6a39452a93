import { desc, eq, lt, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { apiKeys, apiRequestLog, type ApiRequestLogRow } from '@/db/schema';
import { hashSecretKey } from '@/lib/auth/api-keys';
import { newId } from '@/lib/ids';

export interface ApiRequestRecord {
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  requestId: string | null;
  /** The raw `Authorization` header; the merchant and key are found by the key's hash. */
  authorization: string | null;
}

const BEARER = /^Bearer\s+(sk_(?:test|live)_[0-9A-Za-z]{16,128})$/i;
const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Records one API request of a known merchant. The merchant and key are resolved inside the
 * INSERT ... SELECT (one round trip); a request without a valid-looking key records nothing.
 */
export async function recordApiRequest(entry: ApiRequestRecord): Promise<void> {
  const key = BEARER.exec(entry.authorization?.trim() ?? '')?.[1];
  if (!key) return;
  const db = getDb();
  const id = newId('apiRequestLogEntry');
  await db.execute(sql`
    insert into ${apiRequestLog} (id, merchant_id, api_key_id, method, path, status, latency_ms, request_id)
    select ${id}, ${apiKeys.merchantId}, ${apiKeys.id}, ${entry.method}, ${entry.path.slice(0, 500)}, ${entry.status}, ${Math.max(0, Math.round(entry.latencyMs))}, ${entry.requestId}
    from ${apiKeys} where ${apiKeys.keyHash} = ${hashSecretKey(key)}`);
  if (Math.random() < 0.01) await db.delete(apiRequestLog).where(lt(apiRequestLog.createdAt, new Date(Date.now() - RETENTION_MS)));
}

type RouteHandler<C> = (request: Request, context: C) => Promise<Response>;

/**
 * Wraps a public API route so every request is logged (method, path, status, latency, request
 * id, merchant, key). Best effort: the log write runs after the response is built, is not
 * awaited, and its failure is swallowed, so it never slows or fails the request.
 */
export function withRequestLog<C>(handler: RouteHandler<C>): RouteHandler<C> {
  return async (request, context) => {
    const startedAt = performance.now();
    const response = await handler(request, context);
    void recordApiRequest({
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      latencyMs: performance.now() - startedAt,
      requestId: response.headers.get('request-id'),
      authorization: request.headers.get('authorization'),
    }).catch(() => undefined);
    return response;
  };
}

export async function listApiRequests(merchantId: string, limit = 100): Promise<ApiRequestLogRow[]> {
  return getDb()
    .select()
    .from(apiRequestLog)
    .where(eq(apiRequestLog.merchantId, merchantId))
    .orderBy(desc(apiRequestLog.createdAt))
    .limit(Math.min(Math.max(limit, 1), 100));
}
