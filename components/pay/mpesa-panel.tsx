'use client';

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { randomUuid } from '@/components/random-id';
import { looksLikeKenyanMobile, mpesaProblem, withKenyanCountryCode, type MpesaProblem } from './mpesa-messages';
import styles from './pay.module.css';
import { safeHttpUrl } from './payment-messages';

export interface MpesaPanelProps {
  sessionId: string;
  /** The formatted amount, e.g. "KES 1,500.00". */
  amountLabel: string;
  merchantName: string;
  /** "waiting" when the page loads while a prompt is already on the customer's phone. */
  initialState: 'idle' | 'waiting';
  /** The masked phone of a prompt already sent. */
  initialPhone?: string;
  /** The failure of the last M-Pesa attempt, shown above the phone field. */
  initialProblem: MpesaProblem | null;
  /** How long the phone shows the prompt before M-Pesa gives up (the progress bar's length): DARAJA_STK_PROMPT_LIFETIME_MS. */
  promptSeconds: number;
}

type Phase = 'idle' | 'sending' | 'waiting' | 'succeeded';

interface StatusBody {
  status?: 'idle' | 'waiting' | 'succeeded' | 'failed';
  phone?: string;
  redirect_url?: string;
  error?: { code?: string; message?: string };
}

const POLL_MS = 2_000;

async function readJson<T>(res: Response): Promise<T | null> {
  try {
    return (await res.json()) as T;
  } catch {
    return null;
  }
}

export function MpesaPanel({
  sessionId,
  amountLabel,
  merchantName,
  initialState,
  initialPhone,
  initialProblem,
  promptSeconds,
}: MpesaPanelProps) {
  const [phone, setPhone] = useState('');
  const [phoneError, setPhoneError] = useState<string | null>(null);
  const [phase, setPhase] = useState<Phase>(initialState === 'waiting' ? 'waiting' : 'idle');
  const [maskedPhone, setMaskedPhone] = useState(initialPhone ?? '');
  const [problem, setProblem] = useState<MpesaProblem | null>(initialProblem);
  const [elapsed, setElapsed] = useState(0);
  const errorRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const statusUrl = `/api/pay/${encodeURIComponent(sessionId)}/mpesa`;

  const fail = useCallback((next: MpesaProblem) => {
    setProblem(next);
    setPhase('idle');
    requestAnimationFrame(() => errorRef.current?.focus());
  }, []);

  // While the prompt is on the phone: poll the status route every 2 s and count the seconds.
  useEffect(() => {
    if (phase !== 'waiting') return;
    const started = Date.now();
    const tick = setInterval(() => setElapsed(Math.floor((Date.now() - started) / 1000)), 1_000);
    let stopped = false;
    const poll = async () => {
      if (stopped) return;
      try {
        const res = await fetch(statusUrl, { cache: 'no-store' });
        const body = await readJson<StatusBody>(res);
        if (stopped) return;
        if (body?.status === 'succeeded') {
          setPhase('succeeded');
          const next = body.redirect_url ? safeHttpUrl(body.redirect_url) : undefined;
          if (next) window.location.assign(next);
          return;
        }
        if (body?.status === 'failed') {
          fail(mpesaProblem(body.error?.code, body.error?.message));
          return;
        }
      } catch {
        // a dropped poll is retried on the next tick
      }
      timer = setTimeout(poll, POLL_MS);
    };
    let timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(tick);
    };
  }, [phase, statusUrl, fail]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (phase !== 'idle') return;
    const fullPhone = withKenyanCountryCode(phone);
    if (!looksLikeKenyanMobile(fullPhone)) {
      setPhoneError('Enter the Safaricom number that will pay, e.g. 712 345 678.');
      document.getElementById(`${id}-phone`)?.focus();
      return;
    }
    setPhoneError(null);
    setProblem(null);
    setPhase('sending');
    try {
      const res = await fetch(statusUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUuid() },
        body: JSON.stringify({ phone: fullPhone }),
      });
      const body = await readJson<StatusBody & { error?: { code?: string; message?: string; param?: string } }>(res);
      if (res.ok && body?.status === 'waiting') {
        setMaskedPhone(body.phone ?? fullPhone);
        setElapsed(0);
        setPhase('waiting');
        return;
      }
      if (body?.error?.param === 'phone' && body.error.message) {
        setPhoneError(body.error.message);
        setPhase('idle');
        document.getElementById(`${id}-phone`)?.focus();
        return;
      }
      fail(mpesaProblem(body?.error?.code, body?.error?.message));
    } catch {
      fail({
        title: 'Connection problem',
        message: 'We could not reach the payment service. Check your connection and try again; you have not been charged.',
      });
    }
  }

  if (phase === 'waiting' || phase === 'succeeded') {
    const percent = Math.min(100, Math.round((elapsed / promptSeconds) * 100));
    return (
      <div className="mpesa-waiting" data-testid="mpesa-waiting" role="status" aria-live="polite">
        {phase === 'succeeded' ? (
          <>
            <div className="success-mark" aria-hidden="true">
              ✓
            </div>
            <h3 data-testid="mpesa-success">Payment received</h3>
            <p className="muted">Thank you. Taking you back to {merchantName}…</p>
          </>
        ) : (
          <>
            <h3>Check your phone</h3>
            <p>
              We sent an M-Pesa request for <strong>{amountLabel}</strong> to{' '}
              <strong data-testid="mpesa-phone-sent">{maskedPhone}</strong>. Unlock your phone and enter your M-Pesa PIN to pay{' '}
              {merchantName}.
            </p>
            <div
              className="mpesa-progress"
              role="progressbar"
              aria-label="Waiting for your M-Pesa PIN"
              aria-valuemin={0}
              aria-valuemax={promptSeconds}
              aria-valuenow={Math.min(elapsed, promptSeconds)}
              aria-valuetext={`${elapsed} seconds`}
            >
              <span style={{ width: `${percent}%` }} />
            </div>
            <p className="muted small" data-testid="mpesa-progress-text">
              <span className="spinner" aria-hidden="true" /> Waiting for confirmation from M-Pesa… {elapsed}s
            </p>
            <p className="muted small">
              Keep this page open. No prompt after {promptSeconds} seconds? You will be able to try again.
            </p>
          </>
        )}
      </div>
    );
  }

  const busy = phase === 'sending';
  return (
    <form className="pay-form mpesa-form" onSubmit={onSubmit} noValidate aria-describedby={`${id}-hint`}>
      <div ref={errorRef} tabIndex={-1} className="pay-error-slot">
        {problem && (
          <div className="notice notice-error" role="alert" data-testid="mpesa-error">
            <p className="notice-title" data-testid="mpesa-error-title">
              {problem.title}
            </p>
            <p>{problem.message}</p>
          </div>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-phone`}>M-Pesa phone number</label>
        <div className={styles.phoneGroup}>
          <span className={styles.phonePrefix} id={`${id}-phone-prefix`} data-testid="mpesa-phone-prefix">
            +254
          </span>
          <input
            id={`${id}-phone`}
            type="tel"
            inputMode="tel"
            autoComplete="tel-national"
            value={phone}
            onChange={(e) => {
              setPhone(e.target.value);
              setPhoneError(null);
            }}
            placeholder="712 345 678"
            data-testid="mpesa-phone"
            aria-invalid={phoneError ? true : undefined}
            aria-describedby={[`${id}-phone-prefix`, phoneError ? `${id}-phone-error` : ''].filter(Boolean).join(' ')}
            readOnly={busy}
            maxLength={20}
            required
          />
        </div>
        {phoneError && (
          <p className="field-error" id={`${id}-phone-error`} data-testid="mpesa-phone-error">
            {phoneError}
          </p>
        )}
      </div>
      <button
        type="submit"
        className="button button-primary button-block button-large pay-button"
        data-testid="mpesa-pay"
        disabled={busy}
        aria-busy={busy}
      >
        {busy ? (
          <>
            <span className="spinner" aria-hidden="true" />
            <span>Sending request…</span>
          </>
        ) : problem ? (
          `Try again: pay ${amountLabel}`
        ) : (
          `Pay ${amountLabel} with M-Pesa`
        )}
      </button>
      <p className="test-hint" id={`${id}-hint`} data-testid="mpesa-test-hint">
        <strong>Test mode:</strong> any Safaricom number works; answer the prompt at <code>/sandbox/phone/2547…</code> with PIN{' '}
        <code>1234</code>.
      </p>
    </form>
  );
}
