'use client';

import { useEffect, useState } from 'react';
import { safeHttpUrl } from './payment-messages';

const POLL_MS = 2_000;

/**
 * For a payment the customer makes from the phone's menu (Paybill, Till): polls the pay page's
 * M-Pesa status every 2 s while `active`, and once paykit has verified the payment, goes to the
 * merchant's success page. Returns whether the payment was seen paid (the panel says so meanwhile).
 */
export function useVerifiedPaymentRedirect(sessionId: string, active: boolean): boolean {
  const [paid, setPaid] = useState(false);
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch(`/api/pay/${encodeURIComponent(sessionId)}/mpesa`, { cache: 'no-store' });
        const body = (await res.json().catch(() => null)) as { status?: string; redirect_url?: string } | null;
        const to = body?.status === 'succeeded' && body.redirect_url ? safeHttpUrl(body.redirect_url) : undefined;
        if (to) {
          setPaid(true);
          window.location.assign(to);
          return;
        }
      } catch {
        /* the next poll tries again */
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    timer = setTimeout(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, sessionId]);
  return paid;
}
