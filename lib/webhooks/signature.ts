import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, as merchants verify them:
 *   Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${rawBody}`)>
 * This is Stripe's scheme (the whole `whsec_...` string is the HMAC key), so the official SDKs'
 * `webhooks.constructEvent(body, header, secret)` verify our deliveries. Every delivery carries
 * the same value in Pay-Signature too, for receivers written before the Stripe-compatible API.
 * This file has no imports from the rest of paykit, so a merchant can copy it as it is.
 */

export const SIGNATURE_HEADER = 'Pay-Signature';
export const STRIPE_SIGNATURE_HEADER = 'Stripe-Signature';

/** The signature headers of one delivery: both names, one value. */
export function signatureHeaders(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const value = signatureHeader(secret, rawBody, timestamp);
  return { [STRIPE_SIGNATURE_HEADER]: value, [SIGNATURE_HEADER]: value };
}
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export function computeSignature(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${computeSignature(secret, timestamp, rawBody)}`;
}

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * Verifies a webhook: the header must carry a timestamp within `toleranceSeconds` of now and a
 * v1 signature of the exact raw body (verify before parsing the JSON). Compared in constant time.
 * Returns the parsed event; throws WebhookSignatureError otherwise.
 */
export function verifyWebhookSignature<T = unknown>(
  rawBody: string,
  header: string | null | undefined,
  secret: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): T {
  if (!header) throw new WebhookSignatureError('Missing Stripe-Signature (or Pay-Signature) header.');
  const parts = header.split(',').map((p) => p.trim().split('='));
  const timestamp = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (!Number.isInteger(timestamp) || signatures.length === 0) {
    throw new WebhookSignatureError('Malformed signature header.');
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    throw new WebhookSignatureError('Signature timestamp is outside the tolerance window.');
  }
  const expected = Buffer.from(computeSignature(secret, timestamp, rawBody), 'hex');
  const matches = signatures.some((sig) => {
    const given = Buffer.from(sig, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookSignatureError('No signature matches the expected signature for this payload.');
  return JSON.parse(rawBody) as T;
}
