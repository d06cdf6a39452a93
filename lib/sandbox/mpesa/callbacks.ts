import type { SandboxMpesaStkRequest } from '@/db/schema';
import { currentMpesaFaults, type MpesaFaults } from './faults';

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

async function send(request: SandboxMpesaStkRequest, faults: MpesaFaults): Promise<void> {
  if (faults.drop) return;
  if (faults.delayMs > 0) await sleep(faults.delayMs);
  const rawBody = JSON.stringify(buildStkCallback(request));
  await deliver(request.callbackUrl, rawBody, request.id);
  if (faults.duplicate) await deliver(request.callbackUrl, rawBody, request.id);
}

/** Fire-and-forget after the completion committed: never throws, never blocks the caller. */
export function emitStkCallback(request: SandboxMpesaStkRequest): void {
  send(request, currentMpesaFaults()).catch((err: unknown) => {
    console.warn('[sandbox-mpesa] callback failed:', err instanceof Error ? err.message : err);
  });
}
