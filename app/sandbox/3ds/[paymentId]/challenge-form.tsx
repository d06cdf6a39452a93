'use client';

import { useEffect, useState } from 'react';

type ChallengeResult = 'succeeded' | 'failed';

interface ChallengeFormProps {
  paymentId: string;
  /** false when the payment no longer awaits authentication (already answered, canceled...). */
  pending: boolean;
  /** The merchant's return_url with ?sandbox_payment= appended, or null when none was given. */
  redirectTo: string | null;
}

/**
 * A merchant's pay page may run this challenge in a frame (frame-ancestors 'self' allows its own
 * origin only); it then hears "answered" instead of being navigated. The message carries no data,
 * so any parent may receive it ('*'): the page asks its server, which asks the card network.
 */
const ANSWERED_MESSAGE = 'paykit:sandbox-3ds:answered';

function framed(): boolean {
  try {
    return window.self !== window.top;
  } catch {
    return true;
  }
}

function tellFramingPage(): void {
  window.parent.postMessage({ type: ANSWERED_MESSAGE }, '*');
}

async function submitChallenge(paymentId: string, result: ChallengeResult): Promise<boolean> {
  const response = await fetch(`/api/sandbox/card/v1/payments/${encodeURIComponent(paymentId)}/3ds`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ result }),
  });
  return response.ok;
}

function ReturnLink({ redirectTo }: { redirectTo: string | null }) {
  return redirectTo ? <a href={redirectTo}>Return to the merchant</a> : null;
}

export function ChallengeForm({ paymentId, pending, redirectTo }: ChallengeFormProps) {
  const [state, setState] = useState<'idle' | 'submitting' | 'done' | 'error'>('idle');

  async function answer(result: ChallengeResult) {
    setState('submitting');
    try {
      if (!(await submitChallenge(paymentId, result))) {
        setState('error');
        return;
      }
      setState('done');
      if (framed()) tellFramingPage();
      else if (redirectTo) window.location.assign(redirectTo);
    } catch {
      setState('error');
    }
  }

  // Answered elsewhere (another tab) or refused: the framing page asks the network what happened.
  useEffect(() => {
    if ((!pending || state === 'error') && framed()) tellFramingPage();
  }, [pending, state]);

  if (!pending) {
    return (
      <p role="status">
        This purchase is no longer waiting for verification. <ReturnLink redirectTo={redirectTo} />
      </p>
    );
  }
  const busy = state === 'submitting' || state === 'done';
  return (
    <>
      <div className="sbx3ds-actions" role="group" aria-label="Authentication">
        <button
          type="button"
          className="sbx3ds-primary"
          data-testid="3ds-complete"
          disabled={busy}
          onClick={() => answer('succeeded')}
        >
          Complete authentication
        </button>
        <button
          type="button"
          className="sbx3ds-secondary"
          data-testid="3ds-fail"
          disabled={busy}
          onClick={() => answer('failed')}
        >
          Fail authentication
        </button>
      </div>
      <p role="status" aria-live="polite">
        {state === 'submitting' ? 'Verifying…' : state === 'done' ? 'Done. Returning you to the merchant…' : ''}
      </p>
      {state === 'error' ? (
        <p role="alert" className="sbx3ds-alert">
          We could not verify this purchase. <ReturnLink redirectTo={redirectTo} />
        </p>
      ) : null}
    </>
  );
}
