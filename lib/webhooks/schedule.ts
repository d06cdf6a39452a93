import { env } from '@/lib/env';

/**
 * When a failed delivery is tried again: exponential backoff, capped, for up to 3 days.
 * Attempt 1 is immediate; each entry is the wait before the next attempt.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  60_000, // 1 minute
  5 * 60_000, // 5 minutes
  30 * 60_000, // 30 minutes
  2 * 3600_000, // 2 hours
  5 * 3600_000, // 5 hours
  10 * 3600_000, // 10 hours
  24 * 3600_000, // 24 hours
  23 * 3600_000, // 23 hours: the last attempt lands just under 3 days after the first
];

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/**
 * WEBHOOK_RETRY_DELAYS_MS ("1000,5000,...", one number per retry) replaces the schedule, for
 * operators who need another one and for tests that cannot wait minutes.
 */
function configuredDelays(): readonly number[] {
  return env().WEBHOOK_RETRY_DELAYS_MS ?? RETRY_DELAYS_MS;
}

/** The wait after attempt `attemptNumber` (1-based) failed, or null when the schedule is spent. */
export function delayAfterAttempt(attemptNumber: number): number | null {
  return configuredDelays()[attemptNumber - 1] ?? null;
}

/** An endpoint whose deliveries failed this many times in a row (with no success) is disabled. */
export const DISABLE_AFTER_CONSECUTIVE_FAILURES = 50;
