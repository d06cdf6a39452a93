import { getServerSession } from 'next-auth';
import { redirect } from 'next/navigation';
import { authOptions } from '@/lib/auth/next-auth';
import { findSessionUser, type SessionUser } from '@/lib/auth/users';

/** The signed-in dashboard user, re-read from the database; sends others to /login. */
export async function requireUser(): Promise<SessionUser> {
  const session = (await getServerSession(authOptions)) as { uid?: string } | null;
  const user = session?.uid ? await findSessionUser(session.uid) : null;
  if (!user) redirect('/login');
  return user;
}
