'use client';

import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';

/** `provider` and `next`: the operator console signs in through its own provider (lib/auth/next-auth.ts). */
export function LoginForm({ provider = 'credentials', next = '/dashboard' }: { provider?: 'credentials' | 'operator'; next?: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn(provider, {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      redirect: false,
    });
    setPending(false);
    if (!result || result.error) {
      // next-auth reports a failed password as CredentialsSignin; other errors (rate limit) carry their message
      setError(
        !result || result.error === 'CredentialsSignin' ? 'That email and password do not match an account.' : result.error,
      );
      return;
    }
    router.push(next);
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} noValidate={false} aria-describedby={error ? 'login-error' : undefined}>
      <div>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required data-testid="login-email" />
      </div>
      <div>
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          data-testid="login-password"
        />
      </div>
      {error ? (
        <p id="login-error" role="alert" className="notice notice-error" data-testid="login-error">
          {error}
        </p>
      ) : null}
      <button type="submit" className="button button-primary" disabled={pending} data-testid="login-submit">
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
