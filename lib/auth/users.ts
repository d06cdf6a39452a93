import { eq, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { merchants, userAccess, users } from '@/db/schema';
import { recordAudit } from '@/lib/audit';
import { isAttemptAllowed, recordAttempt } from './login-rate-limit';
import { verifyPassword } from './passwords';

export interface SessionUser {
  id: string;
  email: string;
  role: 'owner' | 'developer' | 'viewer';
  merchantId: string;
  merchantName: string;
}

// A real bcrypt hash of a random string, so a login for an unknown email costs the same time
// as one for a known email (no user enumeration by timing).
const DUMMY_HASH = '$2b$10$CwTycUXWue0Thq9StjUM0uJ8.6bWvhSxYdxsO9LLlr3Q7CUObY0pK';

export async function verifyLogin(email: string, password: string): Promise<SessionUser | null> {
  const [row] = await getDb()
    .select({ user: users, merchantName: merchants.name })
    .from(users)
    .innerJoin(merchants, eq(merchants.id, users.merchantId))
    .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`)
    .limit(1);
  const ok = await verifyPassword(password, row?.user.passwordHash ?? DUMMY_HASH);
  if (!row || !ok) return null;
  return { id: row.user.id, email: row.user.email, role: row.user.role, merchantId: row.user.merchantId, merchantName: row.merchantName };
}

/** Re-reads the user on every request, so a deleted user or changed role takes effect at once. */
export async function findSessionUser(userId: string): Promise<SessionUser | null> {
  const [row] = await getDb()
    .select({ user: users, merchantName: merchants.name })
    .from(users)
    .innerJoin(merchants, eq(merchants.id, users.merchantId))
    .where(eq(users.id, userId))
    .limit(1);
  if (!row) return null;
  return { id: row.user.id, email: row.user.email, role: row.user.role, merchantId: row.user.merchantId, merchantName: row.merchantName };
}

export type LoginOutcome = { ok: true; user: SessionUser } | { ok: false; reason: 'invalid' | 'rate_limited' };

/**
 * A wrong password for an existing user goes into that merchant's audit log, so the owner sees
 * someone trying. An unknown email has no merchant to tell (it stays in login_attempts only), and
 * refusals by the rate limit are not audited: the limit already caps how many failures get here.
 */
async function auditFailedLogin(email: string, ip: string | null): Promise<void> {
  const [row] = await getDb()
    .select({ id: users.id, email: users.email, merchantId: users.merchantId })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`)
    .limit(1);
  if (!row) return;
  await recordAudit(getDb(), {
    merchantId: row.merchantId,
    userId: null,
    actorEmail: row.email,
    action: 'user.login_failed',
    targetType: 'user',
    targetId: row.id,
    ip,
    details: { reason: 'wrong_password' },
  });
}

/**
 * A dashboard sign-in with its rate limit: refused outright while the email or the IP is over
 * the failure limit (before the password is even checked); every attempt is recorded, a
 * success is audited and stamps the user's last sign-in, and a wrong password is audited.
 */
export async function attemptLogin(input: { email: string; password: string; ip: string | null }): Promise<LoginOutcome> {
  const subject = { kind: 'login' as const, email: input.email, ip: input.ip };
  if (!(await isAttemptAllowed(subject))) return { ok: false, reason: 'rate_limited' };
  const user = await verifyLogin(input.email, input.password);
  await recordAttempt({ ...subject, succeeded: user !== null });
  if (!user) {
    await auditFailedLogin(input.email, input.ip);
    return { ok: false, reason: 'invalid' };
  }
  await getDb().transaction(async (tx) => {
    await tx
      .insert(userAccess)
      .values({ userId: user.id, lastLoginAt: new Date() })
      .onConflictDoUpdate({ target: userAccess.userId, set: { lastLoginAt: new Date() } });
    await recordAudit(tx, {
      merchantId: user.merchantId,
      userId: user.id,
      actorEmail: user.email,
      action: 'user.login',
      targetType: 'user',
      targetId: user.id,
      ip: input.ip,
    });
  });
  return { ok: true, user };
}
