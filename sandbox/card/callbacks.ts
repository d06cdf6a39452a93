import { createHmac } from 'node:crypto';
import { env, requireSecret } from '@/lib/env';
import { randomToken } from '@/lib/ids';
import type { SandboxCardRefund } from '@/db/schema';
import type { PaymentWithCard } from './payment-store';
import { serializePayment, serializeRefund } from './serialize';

/**
 * The sandbox network's signed callbacks: after every status change of a payment or a refund it
 * POSTs `{id, object: 'event', type: 'payment.updated' | 'refund.updated', created, data}` to
 * SANDBOX_CALLBACK_URL, signed
 * like Stripe (`Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`).
 * Sent after the commit, fire-and-forget with retries: a callback never blocks or fails the API
 * call that caused it. Faults (drop, duplicate, delay, reorder) can be switched on to test the
 * receiving side the way real networks misbehave.
 */

export const CALLBACK_SIGNATURE_HEADER = 'Sandbox-Signature';

export interface CallbackFaults {
  /** Never send. */
  drop: boolean;
  /** Send every callback twice (same event id, as a PSP redelivery does). */
  duplicate: boolean;
  /** Wait this long before sending. */
  delayMs: number;
  /** Hold a payment's (or refund's) callback and send it after that object's next one. */
  reorder: boolean;
}

const NO_FAULTS: CallbackFaults = { drop: false, duplicate: false, delayMs: 0, reorder: false };

/** Parses SANDBOX_CALLBACK_FAULTS, e.g. "duplicate,delay:500,reorder". Unknown words are ignored. */
export function parseCallbackFaults(spec: string | undefined): CallbackFaults {
  const faults = { ...NO_FAULTS };
  for (const word of (spec ?? '').split(',').map((w) => w.trim().toLowerCase())) {
    if (word === 'drop') faults.drop = true;
    else if (word === 'duplicate') faults.duplicate = true;
    else if (word === 'reorder') faults.reorder = true;
    else if (word.startsWith('delay:')) faults.delayMs = Math.max(0, Number(word.slice('delay:'.length)) || 0);
  }
  return faults;
}

let faultOverride: CallbackFaults | undefined;

export function currentCallbackFaults(): CallbackFaults {
  return faultOverride ?? parseCallbackFaults(process.env.SANDBOX_CALLBACK_FAULTS);
}

/** Process-wide switch for tests and the faults endpoint; `null` goes back to the environment. */
export function setSandboxCallbackFaults(faults: Partial<CallbackFaults> | null): CallbackFaults {
  faultOverride = faults === null ? undefined : { ...NO_FAULTS, ...faults };
  return currentCallbackFaults();
}

/** The install's SANDBOX_CALLBACK_SECRET (the receiving side verifies with the same one); no default. */
export function sandboxCallbackSecret(): string {
  return requireSecret('SANDBOX_CALLBACK_SECRET');
}

export function callbackUrl(): string {
  return process.env.SANDBOX_CALLBACK_URL || `${env().APP_URL}/api/psp/sandbox/callback`;
}

export function signCallback(rawBody: string, secret: string, timestampSec = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSec}.${rawBody}`).digest('hex');
  return `t=${timestampSec},v1=${v1}`;
}

export interface PaymentCallback {
  id: string;
  object: 'event';
  type: 'payment.updated';
  created: number;
  data: ReturnType<typeof serializePayment> & { idempotency_key: string };
}

export interface RefundCallback {
  id: string;
  object: 'event';
  type: 'refund.updated';
  created: number;
  data: ReturnType<typeof serializeRefund> & { idempotency_key: string };
}

/** Every event the network sends; `data.id` names the object it is about. */
export type SandboxCallback = PaymentCallback | RefundCallback;

/** The payment as GET payments/:id returns it, plus the acquirer's Idempotency-Key so the merchant can match a payment it has no id for yet. */
export function buildPaymentCallback(payment: PaymentWithCard): PaymentCallback {
  return {
    id: `sbxevt_${randomToken(24)}`,
    object: 'event',
    type: 'payment.updated',
    created: Math.floor(Date.now() / 1000),
    data: { ...serializePayment(payment), idempotency_key: payment.payment.idempotencyKey },
  };
}

/** The refund as GET refunds/:id returns it; `data.payment` names the payment refunded. */
export function buildRefundCallback(refund: SandboxCardRefund): RefundCallback {
  return {
    id: `sbxevt_${randomToken(24)}`,
    object: 'event',
    type: 'refund.updated',
    created: Math.floor(Date.now() / 1000),
    // the Idempotency-Key the merchant's PSP client sent: finds a refund that has no reference yet
    data: { ...serializeRefund(refund), idempotency_key: refund.idempotencyKey },
  };
}

const RETRY_DELAYS_MS = [250, 1_000, 4_000];
const ATTEMPT_TIMEOUT_MS = 5_000;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    // unref: a pending callback must not keep a finished process (or test worker) alive
    setTimeout(resolve, ms).unref?.();
  });

/** 2xx is done; a 4xx other than 408/429 will not change on a retry. */
function worthRetrying(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** POSTs one callback with a few retries; signs each try afresh so the timestamp stays current. */
async function deliver(callback: SandboxCallback): Promise<void> {
  const rawBody = JSON.stringify(callback);
  for (let attempt = 0; ; attempt++) {
    let retry = true;
    try {
      const response = await fetch(callbackUrl(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signCallback(rawBody, sandboxCallbackSecret()) },
        body: rawBody,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return;
      retry = worthRetrying(response.status);
    } catch {
      // unreachable or timed out: retry below
    }
    const delayMs = RETRY_DELAYS_MS[attempt];
    if (!retry || delayMs === undefined) {
      console.warn(`[sandbox-card] callback ${callback.id} for ${callback.data.id} not delivered`);
      return;
    }
    await sleep(delayMs);
  }
}

async function send(callback: SandboxCallback, faults: CallbackFaults): Promise<void> {
  if (faults.delayMs > 0) await sleep(faults.delayMs);
  await deliver(callback);
  if (faults.duplicate) await deliver(callback);
}

// Reordering: an object's held callback waits for that object's next one (or this long at most).
const REORDER_MAX_HOLD_MS = 5_000;
const held = new Map<string, { callback: SandboxCallback; release: () => void }>();

function holdForReorder(callback: SandboxCallback, faults: CallbackFaults): void {
  const objectId = callback.data.id;
  const timer = setTimeout(() => release(), REORDER_MAX_HOLD_MS);
  timer.unref?.();
  const release = () => {
    clearTimeout(timer);
    if (held.get(objectId)?.callback !== callback) return;
    held.delete(objectId);
    void send(callback, faults);
  };
  held.set(objectId, { callback, release });
}

async function emit(callback: SandboxCallback): Promise<void> {
  const faults = currentCallbackFaults();
  if (faults.drop) return;
  const previous = held.get(callback.data.id);
  if (previous) {
    // the newer state goes out first, the held older one right after it
    await send(callback, faults);
    previous.release();
    return;
  }
  if (faults.reorder) return holdForReorder(callback, faults);
  await send(callback, faults);
}

/**
 * Announces a payment's new state. Call it only after the change committed. Never throws and
 * never waits: the API response that caused the change must not depend on the merchant's server.
 */
export function emitPaymentCallback(payment: PaymentWithCard): void {
  emitBuilt(() => buildPaymentCallback(payment));
}

/** Announces a refund's new state; the same rules as for payments (after the commit, never throws). */
export function emitRefundCallback(refund: SandboxCardRefund): void {
  emitBuilt(() => buildRefundCallback(refund));
}

function emitBuilt(build: () => SandboxCallback): void {
  try {
    const callback = build();
    emit(callback).catch((err: unknown) => {
      console.warn('[sandbox-card] callback failed:', err instanceof Error ? err.message : err);
    });
  } catch (err) {
    console.warn('[sandbox-card] callback not built:', err instanceof Error ? err.message : err);
  }
}
