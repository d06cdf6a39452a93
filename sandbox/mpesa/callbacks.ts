import type { SandboxMpesaStkRequest } from '@/db/schema';
import { currentMpesaFaults, type MpesaFaults } from './faults';
import { sandboxSettings } from './settings';

/**
 * The STK callback Daraja POSTs to the CallBackURL of the request once the customer answered
 * (or did not). Daraja does not sign it; the receiver must check it (see lib/inbox/mpesa.ts).
 */
export interface StkCallbackBody {
  Body: {
    stkCallback: {
      MerchantRequestID: string;
      CheckoutRequestID: string;
      ResultCode: number;
      ResultDesc: string;
      CallbackMetadata?: { Item: { Name: string; Value?: string | number }[] };
    };
  };
}

export function buildStkCallback(request: SandboxMpesaStkRequest): StkCallbackBody {
  const paid = request.resultCode === 0;
  const date = request.completedAt ?? new Date();
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: request.merchantRequestId,
        CheckoutRequestID: request.id,
        ResultCode: request.resultCode ?? 1037,
        ResultDesc: request.resultDesc ?? '',
        ...(paid
          ? {
              CallbackMetadata: {
                Item: [
                  { Name: 'Amount', Value: request.amount },
                  { Name: 'MpesaReceiptNumber', Value: request.receiptNumber ?? '' },
                  { Name: 'Balance' },
                  { Name: 'TransactionDate', Value: Number(nairobiStamp(date)) },
                  { Name: 'PhoneNumber', Value: Number(request.phone) },
                ],
              },
            }
          : {}),
      },
    },
  };
}

function nairobiStamp(at: Date): string {
  const d = new Date(at.getTime() + 3 * 60 * 60 * 1000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const RETRY_DELAYS_MS = [250, 1_000, 4_000];

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

async function deliver(url: string, rawBody: string, label: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let retry = true;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: rawBody,
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return;
      retry = response.status >= 500 || response.status === 429;
    } catch {
      // unreachable or timed out: retry below
    }
    const delayMs = RETRY_DELAYS_MS[attempt];
    if (!retry || delayMs === undefined) {
      console.warn(`[sandbox-mpesa] callback for ${label} not delivered`);
      return;
    }
    await sleep(delayMs);
  }
}

interface Notification {
  url: string;
  rawBody: string;
  label: string;
}

async function deliverTwiceIfDuplicated(n: Notification, duplicate: boolean): Promise<void> {
  await deliver(n.url, n.rawBody, n.label);
  if (duplicate) await deliver(n.url, n.rawBody, n.label);
}

const reorderHoldMs = () => sandboxSettings().MPESA_SANDBOX_REORDER_HOLD_MS;

// The out-of-order fault holds one notification until the next one has gone out (or the hold ends).
let held: { notification: Notification; duplicate: boolean; timer: ReturnType<typeof setTimeout> } | undefined;

function releaseHeld(): Promise<void> {
  const h = held;
  held = undefined;
  if (!h) return Promise.resolve();
  clearTimeout(h.timer);
  return deliverTwiceIfDuplicated(h.notification, h.duplicate);
}

async function send(n: Notification, faults: MpesaFaults): Promise<void> {
  if (faults.drop) return;
  if (faults.delayMs > 0) await sleep(faults.delayMs);
  if (!faults.outOfOrder) return deliverTwiceIfDuplicated(n, faults.duplicate);
  if (!held) {
    const timer = setTimeout(() => void releaseHeld().catch(() => undefined), reorderHoldMs());
    timer.unref?.();
    held = { notification: n, duplicate: faults.duplicate, timer };
    return;
  }
  const earlier = held;
  held = undefined;
  clearTimeout(earlier.timer);
  await deliverTwiceIfDuplicated(n, faults.duplicate);
  await deliverTwiceIfDuplicated(earlier.notification, earlier.duplicate);
}

/**
 * Sends one JSON notification (STK callback, Result, C2B confirmation, Pull Transactions
 * callback) with the switched-on faults, after the state it reports committed: fire-and-forget,
 * never throws, never blocks the caller. The body is serialized once, so a duplicate is byte-identical.
 */
export function emitNotification(url: string, body: unknown, label: string): void {
  send({ url, rawBody: JSON.stringify(body), label }, currentMpesaFaults()).catch((err: unknown) => {
    console.warn('[sandbox-mpesa] notification failed:', err instanceof Error ? err.message : err);
  });
}

/** Sends without faults: for synchronous exchanges the faults do not model. */
export function deliverJson(url: string, body: unknown, label: string): Promise<void> {
  return deliver(url, JSON.stringify(body), label);
}

export function emitStkCallback(request: SandboxMpesaStkRequest): void {
  emitNotification(request.callbackUrl, buildStkCallback(request), request.id);
}
