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

interface Message {
  id: string;
  body: string;
  receivedAt: string;
}

const REFRESH_MS = 2_000;

/**
 * The handset's screen: shows a pending STK prompt and takes the PIN, offers the "Pay bill" menu,
 * lists the M-PESA messages received, and looks for new prompts and messages every 2 s.
 */
export function PhoneScreen({ msisdn, prompt, messages }: { msisdn: string; prompt: Prompt | null; messages: Message[] }) {
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
      <PayBill msisdn={msisdn} onDone={() => router.refresh()} />
      <PayBill msisdn={msisdn} onDone={() => router.refresh()} till />
      <MessageList messages={messages} />
    </>
  );
}

type PayBillAnswer = { ResultCode?: number | string; message?: string; errorMessage?: string };

/**
 * Lipa na M-PESA > Pay Bill (business number, account number, amount, then the PIN), or with
 * `till` Buy Goods and Services (till number, amount, PIN: a till payment has no account number).
 */
function PayBill({ msisdn, onDone, till = false }: { msisdn: string; onDone: () => void; till?: boolean }) {
  const tid = till ? 'phone-buygoods' : 'phone-paybill';
  const id = useId();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ ok: boolean; message: string } | null>(null);
  const [form, setForm] = useState({ businessNumber: '', accountNumber: '', amount: '', pin: '' });
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [field]: e.target.value }));

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      const res = await fetch(`/api/sandbox/mpesa/phone/${msisdn}/paybill`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(
          till ? { businessNumber: form.businessNumber, amount: form.amount, pin: form.pin, till: true } : form,
        ),
      });
      const json = (await res.json().catch(() => null)) as PayBillAnswer | null;
      setAnswer({
        ok: res.ok && json?.ResultCode === 0,
        message: json?.message ?? json?.errorMessage ?? 'The payment could not be sent.',
      });
      if (res.ok && json?.ResultCode === 0) setForm({ businessNumber: '', accountNumber: '', amount: '', pin: '' });
      else setForm((f) => ({ ...f, pin: '' }));
    } catch {
      setAnswer({ ok: false, message: 'No network. Try again.' });
    } finally {
      setBusy(false);
      onDone();
    }
  }

  if (!open) {
    return (
      <button type="button" className="sbxphone-cancel" onClick={() => setOpen(true)} data-testid={`${tid}-open`}>
        {till ? 'Lipa na M-PESA: Buy Goods and Services' : 'Lipa na M-PESA: Pay Bill'}
      </button>
    );
  }
  return (
    <form className="sbxphone-prompt" onSubmit={onSubmit} data-testid={tid} aria-labelledby={`${id}-title`}>
      <p className="sbxphone-prompt-title" id={`${id}-title`}>
        {till ? 'Buy Goods and Services' : 'Pay Bill'}
      </p>
      <label htmlFor={`${id}-business`}>{till ? 'Till no.' : 'Business no.'}</label>
      <input
        id={`${id}-business`}
        inputMode="numeric"
        autoComplete="off"
        maxLength={7}
        value={form.businessNumber}
        onChange={set('businessNumber')}
        data-testid={`${tid}-business`}
        required
      />
      {!till && (
        <>
          <label htmlFor={`${id}-account`}>Account no.</label>
          <input
            id={`${id}-account`}
            autoComplete="off"
            maxLength={20}
            value={form.accountNumber}
            onChange={set('accountNumber')}
            data-testid={`${tid}-account`}
            required
          />
        </>
      )}
      <label htmlFor={`${id}-amount`}>Amount (KES)</label>
      <input
        id={`${id}-amount`}
        inputMode="numeric"
        autoComplete="off"
        maxLength={7}
        value={form.amount}
        onChange={set('amount')}
        data-testid={`${tid}-amount`}
        required
      />
      <label htmlFor={`${id}-pin`}>M-PESA PIN</label>
      <input
        id={`${id}-pin`}
        type="password"
        inputMode="numeric"
        autoComplete="off"
        maxLength={6}
        value={form.pin}
        onChange={set('pin')}
        data-testid={`${tid}-pin`}
        required
      />
      {answer && (
        <div className={`sbxphone-result${answer.ok ? '' : ' is-failed'}`} role="status" data-testid={`${tid}-result`}>
          <p>{answer.message}</p>
        </div>
      )}
      <div className="sbxphone-actions">
        <button
          type="button"
          className="sbxphone-cancel"
          onClick={() => {
            setOpen(false);
            setAnswer(null);
          }}
          disabled={busy}
        >
          Close
        </button>
        <button type="submit" className="sbxphone-send" disabled={busy} data-testid={`${tid}-send`}>
          Send
        </button>
      </div>
    </form>
  );
}

function MessageList({ messages }: { messages: Message[] }) {
  return (
    <section aria-label="Messages" data-testid="phone-messages">
      <h2 className="sbxphone-prompt-title">Messages</h2>
      {messages.length === 0 ? (
        <p>No messages yet.</p>
      ) : (
        <ul className="sbxphone-messages">
          {messages.map((m) => (
            <li key={m.id} data-testid="phone-message">
              <p>{m.body}</p>
              <time dateTime={m.receivedAt}>
                {new Date(m.receivedAt).toLocaleString('en-KE', { timeZone: 'Africa/Nairobi' })}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
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
