'use client';

import { useId, useState, type FormEvent } from 'react';
import { looksLikeKenyanMobile, withKenyanCountryCode } from './mpesa-messages';
import { useVerifiedPaymentRedirect } from './use-verified-payment-redirect';

export interface TillPanelProps {
  sessionId: string;
  amountLabel: string;
  tillNumber: string;
  /** The masked phone this session already expects a Till payment from (a reload shows the steps again). */
  expectingPhone: string | null;
  /** false while the panel is hidden: it polls only while the customer looks at it. */
  active: boolean;
}

/**
 * Pay with Till (Buy Goods): a till payment carries no account number, so the customer first says
 * which phone they pay from; then the steps for the phone's M-PESA menu (till number, the exact
 * amount), and a wait that follows to the merchant's success page once paykit has verified the
 * payment (the pay page's M-Pesa status, polled every 2 s).
 */
export function TillPanel({ sessionId, amountLabel, tillNumber, expectingPhone, active }: TillPanelProps) {
  const [phone, setPhone] = useState('');
  const [expecting, setExpecting] = useState<string | null>(expectingPhone);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const id = useId();

  const paid = useVerifiedPaymentRedirect(sessionId, active && expecting !== null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!looksLikeKenyanMobile(phone)) {
      setError('Enter the Safaricom number you will pay from, such as 0712 345 678.');
      return;
    }
    setSending(true);
    setError(null);
    try {
      const res = await fetch(`/api/pay/${encodeURIComponent(sessionId)}/mpesa/till`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: withKenyanCountryCode(phone) }),
      });
      const body = (await res.json().catch(() => null)) as { phone?: string; error?: { message?: string } } | null;
      if (res.ok && body?.phone) setExpecting(body.phone);
      else setError(body?.error?.message ?? 'Pay with Till is not available right now. Try M-Pesa or card.');
    } catch {
      setError('We could not reach the server. Check your connection and try again.');
    } finally {
      setSending(false);
    }
  }

  if (!expecting) {
    return (
      <form className="pay-form" onSubmit={(e) => void submit(e)} noValidate data-testid="till-form">
        <p className="muted">A Till payment has no account number, so we match it by the phone it comes from and its amount.</p>
        <div className="field">
          <label htmlFor={`${id}-phone`}>Phone number you will pay from</label>
          <input
            id={`${id}-phone`}
            name="phone"
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            value={phone}
            onChange={(e) => setPhone(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            data-testid="till-phone"
          />
        </div>
        {error && (
          <p id={`${id}-error`} role="alert" className="field-error" data-testid="till-error">
            {error}
          </p>
        )}
        <button type="submit" className="button button-primary button-block" disabled={sending} data-testid="till-continue">
          {sending ? 'One moment…' : 'Show the till number'}
        </button>
      </form>
    );
  }

  return (
    <div data-testid="till-panel">
      <ol className="paybill-steps">
        <li>On the phone {expecting}, open M-PESA, then Lipa na M-PESA, then Buy Goods and Services.</li>
        <li>
          Till number: <strong data-testid="till-number">{tillNumber}</strong>
        </li>
        <li>
          Amount: <strong data-testid="till-amount">{amountLabel}</strong> (exactly; another amount is refused)
        </li>
        <li>Enter your M-PESA PIN and confirm.</li>
      </ol>
      <p className="muted" role="status" data-testid="till-status">
        {paid
          ? 'Payment received. Taking you back to the shop…'
          : 'Waiting for your payment. This page moves on by itself once M-Pesa confirms it.'}
      </p>
      <button
        type="button"
        className="button button-secondary button-block"
        onClick={() => setExpecting(null)}
        data-testid="till-change-phone"
      >
        Pay from another phone
      </button>
    </div>
  );
}
