'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useId, useState, type FormEvent } from 'react';

interface Prompt {
  checkoutRequestId: string;
  amount: number;
  payee: string;
  expiresAt: string;
}

interface Result {
  resultCode: number;
  message: string;
}

const REFRESH_MS = 2_000;

/** The handset's screen: shows a pending STK prompt, takes the PIN, and looks for new prompts every 2 s. */
export function PhoneScreen({ msisdn, prompt }: { msisdn: string; prompt: Prompt | null }) {
  const router = useRouter();
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);

  // A new prompt (or its timeout) shows up without reloading, like on a phone.
  useEffect(() => {
    if (busy) return;
    const timer = setInterval(() => router.refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [router, busy]);

  async function respond(body: { action: 'pin'; pin: string } | { action: 'cancel' }) {
    if (!prompt || busy) return;
    setBusy(true);
    try {
      const res = await fetch(`/api/sandbox/mpesa/phone/${msisdn}/respond`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...body, checkoutRequestId: prompt.checkoutRequestId }),
      });
      const json = (await res.json().catch(() => null)) as {
        ResultCode?: number;
        message?: string;
        errorMessage?: string;
      } | null;
      setResult(
        res.ok && typeof json?.ResultCode === 'number'
          ? { resultCode: json.ResultCode, message: json.message ?? '' }
          : { resultCode: -1, message: json?.errorMessage ?? 'The request could not be answered.' },
      );
    } catch {
      setResult({ resultCode: -1, message: 'No network. Try again.' });
    } finally {
      setBusy(false);
      router.refresh();
    }
  }

  return (
    <>
      {result && (
        <div className={`sbxphone-result${result.resultCode === 0 ? '' : ' is-failed'}`} role="status" data-testid="phone-result">
          <p>{result.message}</p>
        </div>
      )}
      {prompt ? (
        <PromptForm key={prompt.checkoutRequestId} prompt={prompt} busy={busy} onRespond={respond} />
      ) : (
        <p data-testid="phone-idle" aria-live="polite">
          No M-PESA requests. Waiting for one…
        </p>
      )}
    </>
  );
}

function PromptForm({
  prompt,
  busy,
  onRespond,
}: {
  prompt: Prompt;
  busy: boolean;
  onRespond: (body: { action: 'pin'; pin: string } | { action: 'cancel' }) => void;
}) {
  const [pin, setPin] = useState('');
  const id = useId();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onRespond({ action: 'pin', pin });
  }
  return (
    <form className="sbxphone-prompt" onSubmit={onSubmit} data-testid="phone-prompt" aria-labelledby={`${id}-title`}>
      <p className="sbxphone-prompt-title" id={`${id}-title`}>
        M-PESA
      </p>
      <p data-testid="phone-prompt-text">
        Pay KES {prompt.amount.toLocaleString('en-KE')} to {prompt.payee}? Enter M-PESA PIN
      </p>
      <label htmlFor={`${id}-pin`}>M-PESA PIN</label>
      <input
        id={`${id}-pin`}
        type="password"
        inputMode="numeric"
        autoComplete="off"
        maxLength={6}
        value={pin}
        onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))}
        data-testid="phone-pin"
        readOnly={busy}
        required
      />
      <div className="sbxphone-actions">
        <button
          type="button"
          className="sbxphone-cancel"
          onClick={() => onRespond({ action: 'cancel' })}
          disabled={busy}
          data-testid="phone-cancel"
        >
          Cancel
        </button>
        <button type="submit" className="sbxphone-send" disabled={busy || pin.length === 0} data-testid="phone-send">
          Send
        </button>
      </div>
    </form>
  );
}
