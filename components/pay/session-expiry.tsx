'use client';

import { useEffect, useState } from 'react';

/** setTimeout's delay is a 32-bit integer; a session lasts at most a day. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * True from the session's deadline on: the server then refuses to charge, so every card form (the
 * sandbox one and Stripe's Payment Element) disables its Pay button and says why.
 */
export function useSessionExpired(expiresAt: string): boolean {
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    const remainingMs = Math.max(0, new Date(expiresAt).getTime() - Date.now());
    const timer = setTimeout(() => setExpired(true), Math.min(remainingMs, MAX_TIMER_MS));
    return () => clearTimeout(timer);
  }, [expiresAt]);
  return expired;
}

export function SessionExpiredNotice() {
  return (
    <div className="notice notice-error" role="alert" data-testid="pay-expired-notice">
      <p className="notice-title">This checkout has expired</p>
      <p>Nothing was charged. Go back to the shop to start again.</p>
    </div>
  );
}
