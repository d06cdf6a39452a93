import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SIGNING_KEY_PREFIX = /^signkey-[\w]+-/;

/** The HMAC key is the signing key without its "signkey-<env>-" prefix, used as UTF-8 text (as the SDK does). */
function hmacKey(signingKey: string): string {
  return signingKey.replace(SIGNING_KEY_PREFIX, '');
}

/** `X-Inngest-Signature` value: t=<unix seconds>&s=<hex HMAC-SHA256(key, body + t)>. */
export function signRequestBody(body: string, signingKey: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000).toString();
  const s = createHmac('sha256', hmacKey(signingKey)).update(body).update(t).digest('hex');
  return `t=${t}&s=${s}`;
}

/**
 * The bearer token the SDK sends when it registers out of band: the key's prefix plus
 * sha256 of the hex-decoded key (helpers/strings.ts hashSigningKey in the SDK).
 */
export function hashedSigningKey(signingKey: string): string {
  const prefix = SIGNING_KEY_PREFIX.exec(signingKey)?.[0] ?? '';
  const digest = createHash('sha256')
    .update(Buffer.from(hmacKey(signingKey), 'hex'))
    .digest('hex');
  return `${prefix}${digest}`;
}

/** Constant-time string compare, so a bearer token or key check leaks no timing. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks the `Authorization` header of a call the SDK makes to the engine's API (out-of-band
 * registration, checkpoints): `Bearer <hashed signing key>`, compared in constant time.
 */
export function isSdkApiAuthorization(authorization: string | null | undefined, signingKey: string): boolean {
  return Boolean(authorization) && safeEqual(authorization!, `Bearer ${hashedSigningKey(signingKey)}`);
}
