'use client';

import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { randomUuid } from '@/components/random-id';
import {
  cardBrand,
  digitsOnly,
  formatCardNumber,
  formatCvc,
  formatExpiry,
  parseExpiry,
  validateCard,
  validateEmail,
  type CardField,
} from './card-fields';
import { paymentProblem, safeHttpUrl, type PaymentProblem } from './payment-messages';
import { SessionExpiredNotice, useSessionExpired } from './session-expiry';
import { ThreeDsChallenge, type ChallengeOutcome } from './three-ds-challenge';
import styles from './pay.module.css';

export interface PayFormProps {
  sessionId: string;
  /** The formatted amount, e.g. "USD 39.00". */
  amountLabel: string;
  initialEmail: string;
  /** Base URL of the card network's tokenizer ('' for this origin) and the publishable key it accepts. */
  cardUrl: string;
  publishableKey: string;
  /** The merchant the token is created for: only that merchant can charge it (Sandbox-Account). */
  cardAccount: string;
  /** A failure from an earlier attempt (e.g. a failed 3-D Secure challenge). */
  initialProblem: PaymentProblem | null;
  /** ISO time the session expires: the Pay button is disabled from then on. */
  expiresAt: string;
}

type Field = CardField | 'email';
type Phase = 'idle' | 'processing' | 'authenticating' | 'redirecting';

const BRAND_LABEL: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express' };

const TOKEN_PARAM_TO_FIELD: Record<string, CardField> = { number: 'number', exp_month: 'expiry', exp_year: 'expiry', cvc: 'cvc' };

interface TokenResponse {
  id?: string;
  error?: { code?: string; message?: string; param?: string };
}

interface ConfirmResponse {
  status?: string;
  redirect_url?: string;
  error?: { code?: string; message?: string };
}

async function readJson<T>(res: Response): Promise<T | null> {
  try {
    return (await res.json()) as T;
  } catch {
    return null;
  }
}

export function PayForm({
  sessionId,
  amountLabel,
  initialEmail,
  cardUrl,
  publishableKey,
  cardAccount,
  initialProblem,
  expiresAt,
}: PayFormProps) {
  const [email, setEmail] = useState(initialEmail);
  const [number, setNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvc, setCvc] = useState('');
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [serverFieldErrors, setServerFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [problem, setProblem] = useState<PaymentProblem | null>(initialProblem);
  const [phase, setPhase] = useState<Phase>('idle');
  const [problemShown, setProblemShown] = useState(0);
  const errorRef = useRef<HTMLDivElement>(null);
  const id = useId();

  // The 3-D Secure challenge runs in a dialog on this page: the card fields stay in this
  // component's memory (never in storage), so a failed challenge leaves them as they were.
  const [challengeUrl, setChallengeUrl] = useState<string | null>(null);
  const [challengeHidden, setChallengeHidden] = useState(false);
  const expired = useSessionExpired(expiresAt);

  const brand = cardBrand(digitsOnly(number));
  const errors: Partial<Record<Field, string>> = { ...validateCard({ number, expiry, cvc }) };
  const emailError = validateEmail(email);
  if (emailError) errors.email = emailError;
  const busy = phase !== 'idle';

  function shownError(field: Field): string | undefined {
    return serverFieldErrors[field] ?? (touched[field] ? errors[field] : undefined);
  }

  function edit(field: Field, value: string) {
    setServerFieldErrors((prev) => ({ ...prev, [field]: undefined }));
    if (field === 'email') setEmail(value);
    if (field === 'number') setNumber(formatCardNumber(value));
    if (field === 'expiry') setExpiry(formatExpiry(value));
    if (field === 'cvc') setCvc(formatCvc(value, brand));
  }

  function focusField(name: Field) {
    document.getElementById(`${id}-${name}`)?.focus();
  }

  function fail(next: PaymentProblem) {
    setProblem(next);
    setPhase('idle');
    setProblemShown((n) => n + 1);
  }

  // Move focus to the message so keyboard and screen-reader users hear what happened. After the
  // commit, not in a frame callback: closing the 3-D Secure dialog gives focus back to what had it
  // before, and that must happen first (a frame callback could run before React removed the dialog).
  useEffect(() => {
    if (problemShown > 0) errorRef.current?.focus();
  }, [problemShown]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy || expired) return;
    setTouched({ email: true, number: true, expiry: true, cvc: true });
    const order: Field[] = ['email', 'number', 'expiry', 'cvc'];
    const firstInvalid = order.find((f) => errors[f]);
    if (firstInvalid) {
      focusField(firstInvalid);
      return;
    }
    const exp = parseExpiry(expiry);
    if (!exp) return;
    setPhase('processing');
    setProblem(null);
    setServerFieldErrors({});

    try {
      // 1. The card goes to the card network's tokenizer, and only there.
      const tokenRes = await fetch(`${cardUrl}/api/sandbox/card/v1/tokens`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${publishableKey}`,
          'Sandbox-Account': cardAccount,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ number: digitsOnly(number), exp_month: exp.month, exp_year: exp.year, cvc: digitsOnly(cvc) }),
      });
      const token = await readJson<TokenResponse>(tokenRes);
      if (!tokenRes.ok || !token?.id) {
        const field = token?.error?.param ? TOKEN_PARAM_TO_FIELD[token.error.param] : undefined;
        if (field && token?.error?.message) {
          setServerFieldErrors({ [field]: token.error.message });
          setPhase('idle');
          focusField(field);
          return;
        }
        fail(paymentProblem(token?.error?.code, token?.error?.message ?? 'Your card could not be checked. Please try again.'));
        return;
      }

      // 2. Our server only ever sees the token. A fresh key per submit: a retried request is the same attempt.
      const confirmRes = await fetch(`/api/pay/${encodeURIComponent(sessionId)}/confirm`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUuid() },
        body: JSON.stringify({ token: token.id, email: email.trim() }),
      });
      const result = await readJson<ConfirmResponse>(confirmRes);
      const redirect = result?.redirect_url ? safeHttpUrl(result.redirect_url) : undefined;
      if (confirmRes.ok && redirect && result?.status === 'requires_action') {
        setPhase('authenticating');
        setChallengeHidden(false);
        setChallengeUrl(redirect);
        return;
      }
      if (confirmRes.ok && redirect && result?.status === 'succeeded') {
        setPhase('redirecting');
        window.location.assign(redirect);
        return;
      }
      fail(paymentProblem(result?.error?.code, result?.error?.message));
    } catch {
      fail({
        title: 'Connection problem',
        message: 'We could not reach the payment service. Check your connection and try again; you have not been charged.',
      });
    }
  }

  function challengeFinished(outcome: ChallengeOutcome) {
    setChallengeUrl(null);
    setChallengeHidden(false);
    if (outcome.kind === 'navigate') {
      setPhase('redirecting');
      window.location.assign(outcome.redirectUrl);
      return;
    }
    // The number, expiry and code are still in the fields: one instruction says what to do.
    fail(outcome.problem);
  }

  function field(name: Field) {
    const error = shownError(name);
    return {
      id: `${id}-${name}`,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': error ? `${id}-${name}-error` : undefined,
      onBlur: () => setTouched((t) => ({ ...t, [name]: true })),
      readOnly: busy,
    } as const;
  }

  function errorText(name: Field) {
    const error = shownError(name);
    return error ? (
      <p
        className="field-error"
        id={`${id}-${name}-error`}
        data-testid={`${name === 'number' ? 'card-number' : name === 'email' ? 'pay-email' : `card-${name}`}-error`}
      >
        {error}
      </p>
    ) : null;
  }

  const cardErrors = (['number', 'expiry', 'cvc'] as const).filter((f) => shownError(f));

  return (
    <form className="pay-form" onSubmit={onSubmit} noValidate aria-describedby={`${id}-test-hint`}>
      <div className="field">
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          {...field('email')}
          type="email"
          inputMode="email"
          autoComplete="email"
          value={email}
          onChange={(e) => edit('email', e.target.value)}
          data-testid="pay-email"
          placeholder="you@example.com"
          required
        />
        {errorText('email')}
      </div>

      <fieldset className="field card-fieldset">
        <legend>Card information</legend>
        <div className={`card-group${cardErrors.length ? ' card-group-invalid' : ''}`}>
          <div className="card-number-row">
            <label htmlFor={`${id}-number`} className="visually-hidden">
              Card number
            </label>
            <input
              {...field('number')}
              type="text"
              inputMode="numeric"
              autoComplete="cc-number"
              value={number}
              onChange={(e) => edit('number', e.target.value)}
              placeholder="1234 1234 1234 1234"
              data-testid="card-number"
              maxLength={23}
              required
            />
            <span className="card-brand" aria-live="polite" data-testid="card-brand" data-brand={brand}>
              {/* eslint-disable-next-line @next/next/no-img-element -- a 1 KB local SVG */}
              <img
                src={`/card-brands/${BRAND_LABEL[brand] ? brand : 'card'}.svg`}
                alt={BRAND_LABEL[brand] ?? ''}
                width={32}
                height={21}
                className={styles.brandIcon}
              />
            </span>
          </div>
          <div className="card-split">
            <div>
              <label htmlFor={`${id}-expiry`} className="visually-hidden">
                Expiry date (MM / YY)
              </label>
              <input
                {...field('expiry')}
                type="text"
                inputMode="numeric"
                autoComplete="cc-exp"
                value={expiry}
                onChange={(e) => edit('expiry', e.target.value)}
                placeholder="MM / YY"
                data-testid="card-expiry"
                maxLength={7}
                required
              />
            </div>
            <div>
              <label htmlFor={`${id}-cvc`} className="visually-hidden">
                Security code (CVC)
              </label>
              <input
                {...field('cvc')}
                type="text"
                inputMode="numeric"
                autoComplete="cc-csc"
                value={cvc}
                onChange={(e) => edit('cvc', e.target.value)}
                placeholder="CVC"
                data-testid="card-cvc"
                maxLength={4}
                required
              />
            </div>
          </div>
        </div>
        {cardErrors.map((f) => (
          <div key={f}>{errorText(f)}</div>
        ))}
      </fieldset>

      <div ref={errorRef} tabIndex={-1} className="pay-error-slot">
        {expired && <SessionExpiredNotice />}
        {problem && !expired && (
          <div className="notice notice-error" role="alert" data-testid="pay-error">
            <p className="notice-title">{problem.title}</p>
            <p>{problem.message}</p>
          </div>
        )}
      </div>

      <button
        type="submit"
        className="button button-primary button-block button-large pay-button"
        data-testid="pay-button"
        disabled={busy || expired}
        aria-busy={busy}
        // Keep focus in the field on mouse down: a blur would show that field's error, move the
        // button down, and the click would land beside it. Submit then focuses the first bad field.
        onMouseDown={(e) => e.preventDefault()}
      >
        {busy ? (
          <>
            <span className="spinner" aria-hidden="true" />
            <span data-testid="pay-processing">
              {phase === 'redirecting' ? 'Redirecting…' : phase === 'authenticating' ? 'Waiting for your bank…' : 'Processing…'}
            </span>
          </>
        ) : expired ? (
          'Checkout expired'
        ) : (
          `Pay ${amountLabel}`
        )}
      </button>

      <p className="test-hint" id={`${id}-test-hint`} data-testid="test-hint">
        <strong>Test mode:</strong> use <code>4242 4242 4242 4242</code>, any future date and any CVC.
      </p>

      {challengeUrl && challengeHidden && (
        <div className="notice" role="status" data-testid="pay-verification-paused">
          <p className="notice-title">Your bank is still waiting</p>
          <p>Confirm this payment with your bank to finish; you have not been charged yet.</p>
          <button type="button" className="button button-secondary" onClick={() => setChallengeHidden(false)} data-testid="pay-verification-resume">
            Continue verification
          </button>
        </div>
      )}
      {challengeUrl && !challengeHidden && (
        <ThreeDsChallenge
          sessionId={sessionId}
          challengeUrl={challengeUrl}
          sameAppCardNetwork={!/^https?:/.test(cardUrl)}
          amountLabel={amountLabel}
          onFinished={challengeFinished}
          onDismissed={() => setChallengeHidden(true)}
        />
      )}
    </form>
  );
}
