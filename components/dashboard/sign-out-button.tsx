'use client';

import { signOut } from 'next-auth/react';

export function SignOutButton() {
  return (
    <button type="button" className="button button-secondary" onClick={() => void signOut({ callbackUrl: '/login' })} data-testid="sign-out">
      Sign out
    </button>
  );
}
