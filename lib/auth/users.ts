import { eq, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { merchants, users } from '@/db/schema';
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
