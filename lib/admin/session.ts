import type { PaykitSession } from '@/lib/auth/next-auth';
import { findSessionOperator, type SessionOperator } from './operators';

/**
 * The operator a session names, or null: only an operator-kind session, and only while the
 * operator still exists and is not disabled (re-read on every request). A merchant user's session
 * is never an operator's, whatever its id.
 */
export async function operatorOfSession(session: PaykitSession | null): Promise<SessionOperator | null> {
  if (!session?.uid || session.kind !== 'operator') return null;
  return findSessionOperator(session.uid);
}
