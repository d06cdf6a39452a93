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
type Phase = 'idle' | 'processing' | 'redirecting';

const BRAND_LABEL: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express' };

/**
 * What is kept in this tab while the customer is away at a 3-D Secure challenge: the expiry and
 * the last four digits, so a failed challenge can say which card to enter again. Never the card
 * number or the CVC: browsers may write sessionStorage to disk (session restore), and a card
 * number must not be stored anywhere outside the card network's tokenizer. The value is removed
 * the moment the page reads it.
 */
const pendingCardKey = (sessionId: string) => `paykit:challenge-card:${sessionId}`;

function takePendingCard(sessionId: string): { last4: string; expiry: string } | null {
  try {
    const raw = window.sessionStorage.getItem(pendingCardKey(sessionId));
    window.sessionStorage.removeItem(pendingCardKey(sessionId));
    const parsed = raw ? (JSON.parse(raw) as { last4?: unknown; expiry?: unknown }) : null;
    return parsed && typeof parsed.last4 === 'string' && /^\d{4}$/.test(parsed.last4) && typeof parsed.expiry === 'string'
      ? { last4: parsed.last4, expiry: parsed.expiry }
      : null;
  } catch {
    return null;
  }
}

function keepPendingCard(sessionId: string, card: { last4: string; expiry: string }): void {
  try {
    window.sessionStorage.setItem(pendingCardKey(sessionId), JSON.stringify(card));
  } catch {
    // Storage may be off (private mode): the customer then types the number again.
  }
}

/** setTimeout's delay is a 32-bit integer; a session lasts at most a day. */
const MAX_TIMER_MS = 2_147_483_647;
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
  const [expired, setExpired] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);
  const id = useId();

  // Back from a failed challenge: the expiry is still there, and the page says which card to enter again.
  const [reenterLast4, setReenterLast4] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => {
      const kept = takePendingCard(sessionId);
      if (kept && initialProblem) {
        setReenterLast4(kept.last4);
        setExpiry(formatExpiry(kept.expiry));
      }
    }, 0);
    return () => clearTimeout(timer);
  }, [sessionId, initialProblem]);

  // The session's deadline: from then on the server refuses to charge, so the button says so.
  useEffect(() => {
    const remainingMs = Math.max(0, new Date(expiresAt).getTime() - Date.now());
    const timer = setTimeout(() => setExpired(true), Math.min(remainingMs, MAX_TIMER_MS));
    return () => clearTimeout(timer);
  }, [expiresAt]);

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
    // Move focus to the message so keyboard and screen-reader users hear what happened.
    requestAnimationFrame(() => errorRef.current?.focus());
  }

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
      if (confirmRes.ok && redirect && (result?.status === 'succeeded' || result?.status === 'requires_action')) {
        setPhase('redirecting');
        if (result?.status === 'requires_action') keepPendingCard(sessionId, { last4: digitsOnly(number).slice(-4), expiry });
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
  const reenterHint = reenterLast4 && !number ? `Enter the card ending in ${reenterLast4} again, with its security code.` : null;

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
              placeholder={reenterLast4 ? `•••• •••• •••• ${reenterLast4}` : '1234 1234 1234 1234'}
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
        {reenterHint && (
          <p className="field-hint" data-testid="card-reenter-hint">
            {reenterHint}
          </p>
        )}
        {cardErrors.map((f) => (
          <div key={f}>{errorText(f)}</div>
        ))}
      </fieldset>

      <div ref={errorRef} tabIndex={-1} className="pay-error-slot">
        {expired && (
          <div className="notice notice-error" role="alert" data-testid="pay-expired-notice">
            <p className="notice-title">This checkout has expired</p>
            <p>Nothing was charged. Go back to the shop to start again.</p>
          </div>
        )}
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
            <span data-testid="pay-processing">{phase === 'redirecting' ? 'Redirecting…' : 'Processing…'}</span>
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
    </form>
  );
}
