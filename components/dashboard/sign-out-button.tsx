'use client';

import { signOut } from 'next-auth/react';

export function SignOutButton({ callbackUrl = '/login' }: { callbackUrl?: string }) {
  return (
    <button type="button" className="button button-secondary" onClick={() => void signOut({ callbackUrl })} data-testid="sign-out">
      Sign out
    </button>
  );
}
