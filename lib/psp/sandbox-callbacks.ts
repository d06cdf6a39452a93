import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { requireSecret } from '@/lib/env';
import { sandboxWirePayment, sandboxWireRefund, toPspPayment, toPspRefund } from './sandbox-card';
import type { CallbackHint, PspPayment, PspRefund } from './types';

/**
 * Our side of the sandbox card network's callbacks: verify the signature on the raw bytes,
 * then read the event and map its payment to a PspPayment. Like the adapter, this knows the
 * sandbox only by its wire format.
 */

export const SANDBOX_PSP = 'sandbox_card';
export const SANDBOX_SIGNATURE_HEADER = 'sandbox-signature';
export const SIGNATURE_TOLERANCE_SEC = 5 * 60;

/** SANDBOX_CALLBACK_SECRET: an install secret the sandbox signs with and we verify with (no default). */
export function sandboxCallbackSecret(): string {
  return requireSecret('SANDBOX_CALLBACK_SECRET');
}

function parseSignatureHeader(header: string): { timestampSec: number; signatures: string[] } | undefined {
  let timestampSec: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestampSec = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return timestampSec === undefined || signatures.length === 0 ? undefined : { timestampSec, signatures };
}

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

/** Checks `t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>` in constant time, within 5 minutes either way. */
export function verifySandboxSignature(
  rawBody: string,
  header: string | null,
  secret: string,
  nowMs = Date.now(),
): SignatureCheck {
  if (!header) return 'missing';
  const parsed = parseSignatureHeader(header);
  if (!parsed) return 'malformed';
  if (Math.abs(nowMs / 1000 - parsed.timestampSec) > SIGNATURE_TOLERANCE_SEC) return 'stale';
  const expected = createHmac('sha256', secret).update(`${parsed.timestampSec}.${rawBody}`).digest();
  // every candidate is compared, so the time taken does not tell which one (or how much) matched
  let matched = false;
  for (const candidate of parsed.signatures) {
    if (timingSafeEqual(Buffer.from(candidate, 'hex'), expected)) matched = true;
  }
  return matched ? 'valid' : 'mismatch';
}

// Callbacks carry the same objects as the API (sandbox-card.ts), plus the Idempotency-Key we
// sent, and are checked a little more strictly: ids non-empty, amounts whole numbers.
const wireCallback = z.object({
  id: z.string().min(1).max(255),
  type: z.literal('payment.updated'),
  created: z.number(),
  data: sandboxWirePayment.extend({
    id: z.string().min(1),
    amount: z.number().int(),
    amount_captured: z.number().int(),
    idempotency_key: z.string().optional(),
  }),
});

export interface SandboxCallback {
  eventId: string;
  payment: PspPayment;
  /** The Idempotency-Key we sent when creating the payment: finds an attempt that has no PSP reference yet. */
  idempotencyKey?: string;
}

/** The callback's event id, read before storing (only called on a verified body). */
export function sandboxCallbackEventId(rawBody: string): string | undefined {
  try {
    const parsed = z.object({ id: z.string().min(1).max(255) }).safeParse(JSON.parse(rawBody));
    return parsed.success ? parsed.data.id : undefined;
  } catch {
    return undefined;
  }
}

export function parseSandboxCallback(rawBody: string): SandboxCallback {
  const wire = wireCallback.parse(JSON.parse(rawBody));
  const p = wire.data;
  return { eventId: wire.id, payment: toPspPayment(p), ...(p.idempotency_key ? { idempotencyKey: p.idempotency_key } : {}) };
}

const wireRefundCallback = z.object({
  id: z.string().min(1),
  type: z.literal('refund.updated'),
  data: sandboxWireRefund.omit({ object: true }).extend({
    id: z.string().min(1),
    payment: z.string().min(1),
    amount: z.number().int(),
    idempotency_key: z.string().optional(),
  }),
});

export interface SandboxRefundCallback {
  eventId: string;
  refund: PspRefund;
  idempotencyKey?: string;
}

/** The callback's type, read before choosing a parser (only called on a verified body). */
export function sandboxCallbackType(rawBody: string): string | undefined {
  try {
    const parsed = z.object({ type: z.string() }).safeParse(JSON.parse(rawBody));
    return parsed.success ? parsed.data.type : undefined;
  } catch {
    return undefined;
  }
}

export function parseSandboxRefundCallback(rawBody: string): SandboxRefundCallback {
  const wire = wireRefundCallback.parse(JSON.parse(rawBody));
  const r = wire.data;
  return { eventId: wire.id, refund: toPspRefund(r), ...(r.idempotency_key ? { idempotencyKey: r.idempotency_key } : {}) };
}

/** A sandbox callback as a payment hint (null for a refund callback). */
export function sandboxCallbackHint(rawBody: string): CallbackHint | null {
  if (sandboxCallbackType(rawBody) === 'refund.updated') return null;
  const callback = parseSandboxCallback(rawBody);
  return {
    pspReference: callback.payment.pspReference,
    claimed: callback.payment.status,
    ...(callback.idempotencyKey ? { idempotencyKey: callback.idempotencyKey } : {}),
  };
}
