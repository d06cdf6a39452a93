import { createHash } from 'node:crypto';
import { getDb } from '@/db/client';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { PostgresRateLimiter } from './postgres-limiter';

export { PostgresRateLimiter, type RateLimitVerdict } from './postgres-limiter';

/**
 * The app's request rate limits, each a fixed window counted in Postgres (one upsert per request):
 * - api_read / api_write: per secret key, per second (API_RATE_LIMIT_READS/WRITES_PER_SECOND);
 * - pay_page: per client IP, per minute (PAY_RATE_LIMIT_PER_MINUTE): the browser's confirm,
 *   M-Pesa start and status polls;
 * - psp_callback: per source IP, per second (CALLBACK_RATE_LIMIT_PER_SECOND), generous because a
 *   PSP sends every merchant's callbacks from a few addresses.
 */
export type RateLimitBucket = 'api_read' | 'api_write' | 'pay_page' | 'psp_callback';

/** A refused request: 429 with Retry-After (seconds). */
export class RateLimitError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many requests hit the API too quickly. Retry after the number of seconds in the Retry-After header.',
  ) {
    super('rate_limit', message);
  }
}

function bucketLimits(bucket: RateLimitBucket): { points: number; duration: number } {
  const e = env();
  switch (bucket) {
    case 'api_read':
      return { points: e.API_RATE_LIMIT_READS_PER_SECOND, duration: 1 };
    case 'api_write':
      return { points: e.API_RATE_LIMIT_WRITES_PER_SECOND, duration: 1 };
    case 'pay_page':
      return { points: e.PAY_RATE_LIMIT_PER_MINUTE, duration: 60 };
    case 'psp_callback':
      return { points: e.CALLBACK_RATE_LIMIT_PER_SECOND, duration: 1 };
  }
}

// One limiter per bucket and setting (settings come from the environment and are fixed in
// production; tests that change them get a fresh limiter).
const limiters = new Map<string, PostgresRateLimiter>();

function limiterFor(bucket: RateLimitBucket): PostgresRateLimiter {
  const { points, duration } = bucketLimits(bucket);
  const id = `${bucket}:${points}:${duration}`;
  let limiter = limiters.get(id);
  if (!limiter) {
    limiter = new PostgresRateLimiter({ keyPrefix: bucket, points, duration, db: getDb });
    limiters.set(id, limiter);
  }
  return limiter;
}

/** Counts one request of `subject` against the bucket; throws RateLimitError when over. */
export async function enforceRateLimit(bucket: RateLimitBucket, subject: string): Promise<void> {
  const verdict = await limiterFor(bucket).take(subject);
  if (verdict.allowed) return;
  throw new RateLimitError(
    verdict.retryAfterSeconds,
    bucket === 'api_read' || bucket === 'api_write' ? undefined : 'Too many requests. Wait a moment and try again.',
  );
}

/**
 * Counts an authenticated public API request against its secret key: reads (GET, HEAD) and
 * writes (everything else) have separate limits. The key is stored hashed, never in clear.
 */
export async function enforceApiRateLimit(request: Request): Promise<void> {
  const secretKey = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization')?.trim() ?? '')?.[1] ?? '';
  const subject = createHash('sha256').update(secretKey).digest('hex').slice(0, 32);
  const read = request.method === 'GET' || request.method === 'HEAD';
  await enforceRateLimit(read ? 'api_read' : 'api_write', subject);
}

/** Retry-After for a RateLimitError, nothing for other errors. */
export function retryAfterHeader(err: unknown): Record<string, string> {
  return err instanceof RateLimitError ? { 'retry-after': String(err.retryAfterSeconds) } : {};
}
