import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { env, requireSecret } from '@/lib/env';
import { clientIp } from '@/lib/http/client-ip';
import { RATE_LIMIT_MESSAGE } from './login-rate-limit';
import { attemptOperatorLogin } from '@/lib/admin/operators';
import { attemptLogin } from './users';

const credentials = z.object({ email: z.string().trim().email().max(320), password: z.string().min(1).max(200) });

/**
 * Dashboard sign-in: email and password checked against the bcrypt hash; the session is a signed
 * JWT cookie holding only the user id. Every page re-reads the user (findSessionUser), so a
 * removed user or a changed role takes effect on the next request.
 */
export const authOptions: NextAuthOptions = {
  // Read when a session is signed or checked, not at import: the install's AUTH_SECRET, never
  // NextAuth's development fallback (a hash of this configuration, the same for every install).
  get secret() {
    return requireSecret('AUTH_SECRET');
  },
  session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
  pages: { signIn: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(input, req) {
        const parsed = credentials.safeParse(input);
        if (!parsed.success) return null;
        const ip = clientIp(toHeaders(req.headers), env().TRUST_PROXY);
        const outcome = await attemptLogin({ ...parsed.data, ip });
        // A thrown error's message reaches the sign-in form as `error` (null means "wrong credentials").
        if (!outcome.ok && outcome.reason === 'rate_limited') throw new Error(RATE_LIMIT_MESSAGE);
        return outcome.ok ? { id: outcome.user.id, email: outcome.user.email, name: outcome.user.merchantName, kind: 'merchant' } : null;
      },
    }),
    // Platform operators (/admin) sign in through their own provider against their own table; the
    // token says which kind of principal it names, and each side's guard accepts only its own.
    CredentialsProvider({
      id: 'operator',
      name: 'Operator email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(input, req) {
        const parsed = credentials.safeParse(input);
        if (!parsed.success) return null;
        const ip = clientIp(toHeaders(req.headers), env().TRUST_PROXY);
        const outcome = await attemptOperatorLogin({ ...parsed.data, ip });
        if (!outcome.ok && outcome.reason === 'rate_limited') throw new Error(RATE_LIMIT_MESSAGE);
        return outcome.ok ? { id: outcome.operator.id, email: outcome.operator.email, kind: 'operator' } : null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.kind = (user as { kind?: PrincipalKind }).kind ?? 'merchant';
      }
      return token;
    },
    session({ session, token }) {
      return { ...session, uid: typeof token.uid === 'string' ? token.uid : undefined, kind: principalKind(token.kind) };
    },
  },
};

/** Who a session names: a merchant's dashboard user or a platform operator. */
export type PrincipalKind = 'merchant' | 'operator';

/** The session as our callbacks shape it (tokens from before operators existed are merchant users). */
export interface PaykitSession {
  uid?: string;
  kind: PrincipalKind;
}

function principalKind(value: unknown): PrincipalKind {
  return value === 'operator' ? 'operator' : 'merchant';
}

function toHeaders(raw: Record<string, unknown> | undefined): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(', '));
  }
  return headers;
}
