import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { verifyLogin } from './users';

const credentials = z.object({ email: z.string().trim().email().max(320), password: z.string().min(1).max(200) });

/**
 * Dashboard sign-in: email and password checked against the bcrypt hash; the session is a signed
 * JWT cookie holding only the user id. Every page re-reads the user (findSessionUser), so a
 * removed user or a changed role takes effect on the next request.
 */
export const authOptions: NextAuthOptions = {
  secret: process.env.NEXTAUTH_SECRET ?? process.env.AUTH_SECRET,
  session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
  pages: { signIn: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(input) {
        const parsed = credentials.safeParse(input);
        if (!parsed.success) return null;
        const user = await verifyLogin(parsed.data.email, parsed.data.password);
        return user ? { id: user.id, email: user.email, name: user.merchantName } : null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) token.uid = user.id;
      return token;
    },
    session({ session, token }) {
      return { ...session, uid: typeof token.uid === 'string' ? token.uid : undefined };
    },
  },
};
