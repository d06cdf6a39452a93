import { getServerSession } from 'next-auth';
import { redirect } from 'next/navigation';
import { authOptions, type PaykitSession } from '@/lib/auth/next-auth';
import { findSessionUser, type SessionUser } from '@/lib/auth/users';

/** The signed-in dashboard user, re-read from the database; sends others to /login. */
export async function requireUser(): Promise<SessionUser> {
  const session = (await getServerSession(authOptions)) as PaykitSession | null;
  // an operator's session never opens a merchant's dashboard, even if its id matched a user's
  const user = session?.uid && session.kind === 'merchant' ? await findSessionUser(session.uid) : null;
  if (!user) redirect('/login');
  return user;
}
