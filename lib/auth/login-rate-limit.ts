import { and, count, eq, gt, lt } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { loginAttempts } from '@/db/schema';
import { newId } from '@/lib/ids';

/**
 * Dashboard sign-in and sign-up limits, counted in the login_attempts table so they hold across
 * processes: at most `maxFailures` failed sign-ins per email and per IP in the window; at most
 * `maxFailures` sign-ups per IP in the window (successful ones count too: they create accounts).
 */
export const LOGIN_LIMIT = { maxFailures: 10, windowMs: 15 * 60 * 1000 } as const;

export const RATE_LIMIT_MESSAGE = 'Too many attempts. Wait 15 minutes and try again.';

export type AttemptKind = 'login' | 'signup';

export interface AttemptSubject {
  kind: AttemptKind;
  email: string | null;
  ip: string | null;
}

function normalizeEmail(email: string | null): string | null {
  const e = email?.trim().toLowerCase();
  return e ? e : null;
}

/** True when the subject may try now; false when the email or the IP is over its limit. */
export async function isAttemptAllowed(subject: AttemptSubject, now = new Date()): Promise<boolean> {
  const db = getDb();
  const since = new Date(now.getTime() - LOGIN_LIMIT.windowMs);
  const email = normalizeEmail(subject.email);
  const recent = and(eq(loginAttempts.kind, subject.kind), gt(loginAttempts.createdAt, since));
  // sign-ups count every attempt per IP; sign-ins count failures
  const counted = subject.kind === 'signup' ? recent : and(recent, eq(loginAttempts.succeeded, false));
  const checks: Promise<{ n: number }[]>[] = [];
  if (email) checks.push(db.select({ n: count() }).from(loginAttempts).where(and(counted, eq(loginAttempts.email, email))));
  if (subject.ip) checks.push(db.select({ n: count() }).from(loginAttempts).where(and(counted, eq(loginAttempts.ip, subject.ip))));
  const counts = await Promise.all(checks);
  return counts.every(([row]) => (row?.n ?? 0) < LOGIN_LIMIT.maxFailures);
}

export async function recordAttempt(subject: AttemptSubject & { succeeded: boolean }): Promise<void> {
  const db = getDb();
  await db.insert(loginAttempts).values({
    id: newId('loginAttempt'),
    kind: subject.kind,
    email: normalizeEmail(subject.email),
    ip: subject.ip,
    succeeded: subject.succeeded,
  });
  // Rows older than a day no longer count; prune now and then rather than on every attempt.
  if (Math.random() < 0.02) {
    await db
      .delete(loginAttempts)
      .where(lt(loginAttempts.createdAt, new Date(Date.now() - 24 * 60 * 60 * 1000)))
      .catch(() => undefined);
  }
}
