import { getServerSession } from 'next-auth';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { operatorOfSession } from '@/lib/admin/session';
import type { SessionOperator } from '@/lib/admin/operators';
import { authOptions, type PaykitSession } from '@/lib/auth/next-auth';
import { isSameOrigin } from '@/lib/auth/permissions';
import { env } from '@/lib/env';
import { clientIp } from '@/lib/http/client-ip';

export const OPERATOR_SIGN_IN_PATH = '/login/operator';

/**
 * The first line of every /admin page (the layout calls it too, but a layout does not re-run on
 * every navigation, so each page checks for itself): the signed-in platform operator; anyone
 * else, merchant users included, goes to the operator sign-in.
 */
export async function requireOperator(): Promise<SessionOperator> {
  const operator = await operatorOfSession((await getServerSession(authOptions)) as PaykitSession | null);
  if (!operator) redirect(OPERATOR_SIGN_IN_PATH);
  return operator;
}

export interface OperatorActionContext {
  operator: SessionOperator;
  ip: string | null;
}

export class OperatorActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorActionError';
  }
}

/** The first line of every /admin server action: an operator, from our own origin; who and from where, for the audit log. */
export async function guardOperatorAction(): Promise<OperatorActionContext> {
  const operator = await requireOperator();
  const h = await headers();
  if (!isSameOrigin(h, env().APP_URL)) throw new OperatorActionError('This request did not come from the console.');
  return { operator, ip: clientIp(h, env().TRUST_PROXY) };
}
