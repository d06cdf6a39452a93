'use client';

import { useEffect, useRef, useState } from 'react';
import { paymentProblem, safeHttpUrl, type PaymentProblem } from './payment-messages';
import styles from './pay.module.css';

/** What the pay form does once the bank's challenge is over: leave for the next page, or show why it failed. */
export type ChallengeOutcome = { kind: 'navigate'; redirectUrl: string } | { kind: 'failed'; problem: PaymentProblem };

/**
 * The sandbox bank's "answered" message (app/sandbox/3ds/[paymentId]/challenge-form.tsx). It is only a
 * nudge to ask our server, which asks the card network; nothing in it is trusted.
 */
const ANSWERED_MESSAGE = 'paykit:sandbox-3ds:answered';

const CONNECTION_PROBLEM = 'We could not reach the payment service to check the verification. Check your connection and try again.';

interface AuthenticationResponse {
  status?: string;
  redirect_url?: string;
  error?: { code?: string; message?: string };
}

/**
 * The challenge on this page's own origin when the card network is this app (whichever host name the
 * customer opened the page on), so the frame's policy (frame-ancestors 'self') lets this page show it.
 */
function frameSource(challengeUrl: string, sameAppCardNetwork: boolean): string {
  if (!sameAppCardNetwork) return challengeUrl;
  const url = new URL(challengeUrl);
  return `${url.pathname}${url.search}`;
}

/** The network's answer, through our server: null while the challenge is still open. */
async function askNetwork(sessionId: string): Promise<ChallengeOutcome | null> {
  const res = await fetch(`/api/pay/${encodeURIComponent(sessionId)}/authentication`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  let body: AuthenticationResponse | null = null;
  try {
    body = (await res.json()) as AuthenticationResponse;
  } catch {
    body = null;
  }
  if (res.ok && body?.status === 'requires_action') return null;
  const redirect = res.ok && body?.redirect_url ? safeHttpUrl(body.redirect_url) : undefined;
  if (redirect) return { kind: 'navigate', redirectUrl: redirect };
  if (res.status >= 500 || !body?.error) throw new Error(`authentication check answered ${res.status}`);
  return { kind: 'failed', problem: paymentProblem(body.error.code, body.error.message) };
}

/**
 * The bank's 3-D Secure challenge in a modal dialog over the pay page. The card fields behind it keep
 * what the customer typed (component state, never storage); when the bank's page says it was
 * answered, the card network's own answer decides what happens next. Escape does not close it: the
 * bank's page has its own way out (declining fails the challenge), and a closed dialog would leave a
 * payment waiting for verification that a second Pay could not replace.
 */
export function ThreeDsChallenge({
  sessionId,
  challengeUrl,
  sameAppCardNetwork,
  amountLabel,
  onFinished,
  onDismissed,
}: {
  sessionId: string;
  challengeUrl: string;
  sameAppCardNetwork: boolean;
  amountLabel: string;
  onFinished: (outcome: ChallengeOutcome) => void;
  /** The browser closed the dialog anyway (a repeated Escape): the challenge is still open at the bank. */
  onDismissed: () => void;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const frameRef = useRef<HTMLIFrameElement>(null);
  const finished = useRef(onFinished);
  const [state, setState] = useState<'open' | 'checking' | 'unreachable'>('open');
  const src = frameSource(challengeUrl, sameAppCardNetwork);

  useEffect(() => {
    finished.current = onFinished;
  }, [onFinished]);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const check = useRef<() => Promise<void>>(async () => undefined);
  useEffect(() => {
    let active = true;
    let asking = false;
    check.current = async () => {
      if (asking) return;
      asking = true;
      setState('checking');
      try {
        const outcome = await askNetwork(sessionId);
        if (!active) return;
        if (outcome) finished.current(outcome);
        else setState('open');
      } catch {
        if (active) setState('unreachable');
      } finally {
        asking = false;
      }
    };
    const frameOrigin = new URL(src, window.location.href).origin;
    function onMessage(event: MessageEvent) {
      if (event.source !== frameRef.current?.contentWindow || event.origin !== frameOrigin) return;
      const data: unknown = event.data;
      if (typeof data === 'object' && data !== null && (data as { type?: unknown }).type === ANSWERED_MESSAGE) void check.current();
    }
    window.addEventListener('message', onMessage);
    return () => {
      active = false;
      window.removeEventListener('message', onMessage);
    };
  }, [sessionId, src]);

  return (
    <dialog
      ref={dialogRef}
      className={styles.challengeDialog}
      aria-labelledby="three-ds-title"
      aria-describedby="three-ds-description"
      data-testid="three-ds-dialog"
      onCancel={(e) => e.preventDefault()}
      // A close that was undone (React's development double effect reopens it) is no dismissal.
      onClose={() => {
        if (!dialogRef.current?.open) onDismissed();
      }}
    >
      <div className={styles.challengeHeader}>
        <h2 id="three-ds-title" className={styles.challengeTitle}>
          Confirm with your bank
        </h2>
        <p id="three-ds-description" className="muted">
          Your bank asks you to confirm this payment of {amountLabel}. Your card details stay on this page.
        </p>
      </div>
      <iframe ref={frameRef} src={src} title="Verification by your bank" className={styles.challengeFrame} data-testid="three-ds-frame" />
      <div className={styles.challengeFooter} role="status" aria-live="polite" data-testid="three-ds-status">
        {state === 'checking' && 'Checking with your bank…'}
        {state === 'unreachable' && (
          <>
            {CONNECTION_PROBLEM}{' '}
            <button type="button" className="button button-secondary" onClick={() => void check.current()} data-testid="three-ds-check-again">
              Check again
            </button>
          </>
        )}
        {state === 'open' && (
          <>
            Verification not showing?{' '}
            <a href={challengeUrl} data-testid="three-ds-open-page">
              Open it in this window
            </a>
          </>
        )}
      </div>
    </dialog>
  );
}
