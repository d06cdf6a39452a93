'use client';

import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
// The "pure" entry does not inject Stripe.js on import: it loads only when this form mounts.
import type { Stripe, StripeElementsOptions } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { randomUuid } from '@/components/random-id';
import { validateEmail } from './card-fields';
import { paymentProblem, safeHttpUrl, type PaymentProblem } from './payment-messages';
import { SessionExpiredNotice, useSessionExpired } from './session-expiry';

export interface StripePayFormProps {
  sessionId: string;
  /** The formatted amount, e.g. "USD 39.00". */
  amountLabel: string;
  /** The amount in minor units and the lower-case currency, as the Payment Element wants them. */
  amountMinor: number;
  currency: string;
  initialEmail: string;
  /** Stripe publishable key (pk_test_... / pk_live_...). */
  publishableKey: string;
  /** A failure from an earlier attempt (e.g. a failed 3-D Secure challenge). */
  initialProblem: PaymentProblem | null;
  /** ISO time the session expires: the Pay button is disabled from then on. */
  expiresAt: string;
  /** How long to wait for Stripe.js before saying it could not be loaded. */
  loadTimeoutMs?: number;
}

type Phase = 'idle' | 'processing' | 'redirecting';

interface ConfirmResponse {
  status?: string;
  redirect_url?: string;
  error?: { code?: string; message?: string };
}

const LOAD_FAILED: PaymentProblem = {
  title: 'The card form could not be loaded',
  message:
    'We could not reach Stripe, which collects your card details securely. Check your connection and reload this page; you have not been charged.',
};

/** Stripe.js from js.stripe.com, or null when it cannot be loaded (offline, blocked, too slow). */
function useStripeJs(publishableKey: string, timeoutMs: number): { stripe: Stripe | null; failed: boolean } {
  const [state, setState] = useState<{ stripe: Stripe | null; failed: boolean }>({ stripe: null, failed: false });
  useEffect(() => {
    let active = true;
    const timer = setTimeout(() => active && setState({ stripe: null, failed: true }), timeoutMs);
    loadStripe(publishableKey)
      .then((stripe) => active && setState({ stripe, failed: stripe === null }))
      .catch(() => active && setState({ stripe: null, failed: true }))
      .finally(() => clearTimeout(timer));
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [publishableKey, timeoutMs]);
  return state;
}

/**
 * The pay page's card form when the merchant routes cards to Stripe: the Payment Element collects
 * the card inside Stripe's frames, Stripe.js turns it into a PaymentMethod, and only its pm_ id
 * reaches our server, which confirms the payment at Stripe.
 */
export function StripePayForm(props: StripePayFormProps) {
  const { stripe, failed } = useStripeJs(props.publishableKey, props.loadTimeoutMs ?? 20_000);

  if (failed) {
    return (
      <div className="notice notice-error" role="alert" data-testid="stripe-load-error">
        <p className="notice-title">{LOAD_FAILED.title}</p>
        <p>{LOAD_FAILED.message}</p>
      </div>
    );
  }
  if (!stripe) {
    return (
      <p className="muted" role="status" data-testid="stripe-loading">
        <span className="spinner" aria-hidden="true" /> Loading the secure card form…
      </p>
    );
  }
  const options: StripeElementsOptions = {
    mode: 'payment',
    amount: props.amountMinor,
    currency: props.currency.toLowerCase(),
    // The PaymentMethod is created here and confirmed by our server, not by Stripe.js.
    paymentMethodCreation: 'manual',
    // Our server routes card payments only.
    allowedPaymentMethodTypes: ['card'],
    appearance: { theme: 'stripe', variables: { colorPrimary: '#635bff' } },
  };
  return (
    <Elements stripe={stripe} options={options}>
      <StripeCardForm {...props} />
    </Elements>
  );
}

async function readJson<T>(res: Response): Promise<T | null> {
  try {
    return (await res.json()) as T;
  } catch {
    return null;
  }
}

function StripeCardForm({ sessionId, amountLabel, initialEmail, initialProblem, expiresAt }: StripePayFormProps) {
  const stripe = useStripe();
  const elements = useElements();
  const [email, setEmail] = useState(initialEmail);
  const [emailTouched, setEmailTouched] = useState(false);
  const [problem, setProblem] = useState<PaymentProblem | null>(initialProblem);
  const [phase, setPhase] = useState<Phase>('idle');
  const [ready, setReady] = useState(false);
  const expired = useSessionExpired(expiresAt);
  const errorRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const emailError = validateEmail(email);
  const busy = phase !== 'idle';

  function fail(next: PaymentProblem) {
    setProblem(next);
    setPhase('idle');
    requestAnimationFrame(() => errorRef.current?.focus());
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy || expired || !stripe || !elements) return;
    setEmailTouched(true);
    if (emailError) {
      document.getElementById(`${id}-email`)?.focus();
      return;
    }
    setPhase('processing');
    setProblem(null);
    try {
      // 1. Stripe validates the Payment Element (it shows field errors inside its frames).
      const submitted = await elements.submit();
      if (submitted.error) {
        setPhase('idle');
        return;
      }
      // 2. The card becomes a PaymentMethod at Stripe; we only ever see its id.
      const created = await stripe.createPaymentMethod({ elements, params: { billing_details: { email: email.trim() } } });
      if (created.error || !created.paymentMethod) {
        fail(paymentProblem(created.error?.code, created.error?.message ?? 'Your card could not be checked. Please try again.'));
        return;
      }
      // 3. Our server confirms at Stripe. A fresh key per submit: a retried request is the same attempt.
      const confirmRes = await fetch(`/api/pay/${encodeURIComponent(sessionId)}/confirm`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUuid() },
        body: JSON.stringify({ token: created.paymentMethod.id, email: email.trim() }),
      });
      const result = await readJson<ConfirmResponse>(confirmRes);
      const redirect = result?.redirect_url ? safeHttpUrl(result.redirect_url) : undefined;
      // requires_action: 3-D Secure, on the page Stripe named; it returns the customer to /pay/<cs>/return.
      if (confirmRes.ok && redirect && (result?.status === 'succeeded' || result?.status === 'requires_action')) {
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

  const showEmailError = emailTouched && emailError;
  return (
    <form className="pay-form" onSubmit={onSubmit} noValidate data-testid="stripe-pay-form">
      <div className="field">
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          type="email"
          inputMode="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          onBlur={() => setEmailTouched(true)}
          aria-invalid={showEmailError ? true : undefined}
          aria-describedby={showEmailError ? `${id}-email-error` : undefined}
          readOnly={busy}
          data-testid="pay-email"
          placeholder="you@example.com"
          required
        />
        {showEmailError && (
          <p className="field-error" id={`${id}-email-error`} data-testid="pay-email-error">
            {emailError}
          </p>
        )}
      </div>

      <fieldset className="field card-fieldset">
        <legend>Card information</legend>
        <div data-testid="stripe-payment-element">
          <PaymentElement onReady={() => setReady(true)} onLoadError={() => fail(LOAD_FAILED)} options={{ layout: 'tabs' }} />
        </div>
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
        disabled={busy || expired || !ready}
        aria-busy={busy}
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
      <p className="test-hint muted small" data-testid="stripe-hint">
        Card details are collected by Stripe and never reach this site.
      </p>
    </form>
  );
}
