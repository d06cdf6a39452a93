'use client';

import { useState } from 'react';

type ChallengeResult = 'succeeded' | 'failed';

interface ChallengeFormProps {
  paymentId: string;
  /** false when the payment no longer awaits authentication (already answered, canceled...). */
  pending: boolean;
  /** The merchant's return_url with ?sandbox_payment= appended, or null when none was given. */
  redirectTo: string | null;
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
      if (redirectTo) window.location.assign(redirectTo);
    } catch {
      setState('error');
    }
  }

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
