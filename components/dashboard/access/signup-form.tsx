'use client';

import { signIn } from 'next-auth/react';
import Link from 'next/link';
import { useState, useTransition } from 'react';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { SecretReveal } from './secret-reveal';

type SignUp = (form: FormData) => Promise<ActionResult<{ email: string; secretKey: string }>>;

export function SignUpForm({ signUp }: { signUp: SignUp }) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [secretKey, setSecretKey] = useState<string | null>(null);

  function submit(form: FormData) {
    startTransition(async () => {
      setError(null);
      const result = await signUp(form);
      if (!result?.ok) {
        setError({ message: result?.error ?? 'Sign-up failed. Try again.', field: result?.ok === false ? result.field : undefined });
        return;
      }
      const signedIn = await signIn('credentials', { email: result.data.email, password: String(form.get('password') ?? ''), redirect: false });
      if (!signedIn || signedIn.error) {
        setError({ message: 'Your account was created, but signing in failed. Sign in on the login page.' });
        return;
      }
      setSecretKey(result.data.secretKey);
    });
  }

  if (secretKey) {
    return (
      <div data-testid="signup-done">
        <h2>Your account is ready</h2>
        <SecretReveal
          title="Your first test secret key"
          value={secretKey}
          testId="signup-secret-key"
          note="Copy it now and keep it on your server: it will not be shown again. You can create more keys on the Developers page."
        />
        <a href="/dashboard" className="button button-primary" data-testid="signup-continue">
          Continue to the dashboard
        </a>
      </div>
    );
  }

  const invalid = (f: string) => error?.field === f;
  return (
    <form action={submit} className={styles.form}>
      <div>
        <label htmlFor="signup-name">Business name</label>
        <input id="signup-name" name="name" required maxLength={200} autoComplete="organization" data-testid="signup-name" aria-invalid={invalid('name')} />
      </div>
      <div>
        <label htmlFor="signup-email">Email</label>
        <input id="signup-email" name="email" type="email" required autoComplete="email" data-testid="signup-email" aria-invalid={invalid('email')} />
      </div>
      <div>
        <label htmlFor="signup-password">Password</label>
        <input id="signup-password" name="password" type="password" required minLength={10} autoComplete="new-password" aria-describedby="signup-password-hint" data-testid="signup-password" aria-invalid={invalid('password')} />
        <p id="signup-password-hint" className={styles.hint}>
          At least 10 characters.
        </p>
      </div>
      {error ? (
        <p role="alert" className="notice notice-error" data-testid="signup-error">
          {error.message}
        </p>
      ) : null}
      <button type="submit" className="button button-primary" disabled={pending} data-testid="signup-submit">
        {pending ? 'Creating your account…' : 'Create account'}
      </button>
      <p className="small">
        Already have an account? <Link href="/login">Sign in</Link>
      </p>
    </form>
  );
}
