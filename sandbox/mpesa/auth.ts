import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { env, requireSecret } from '@/lib/env';
import { sandboxSettings } from './settings';

/**
 * OAuth for the offline Daraja. Access tokens are stateless (expiry + HMAC under the consumer
 * secret), so every app instance accepts every other's tokens and nothing is stored.
 */

export function tokenTtlSeconds(): number {
  return sandboxSettings().MPESA_SANDBOX_TOKEN_TTL_S;
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function mac(expiresAtMs: number): string {
  return createHmac('sha256', requireSecret('DARAJA_CONSUMER_SECRET'))
    .update(`${requireSecret('DARAJA_CONSUMER_KEY')}.${expiresAtMs}`)
    .digest('base64url')
    .slice(0, 32);
}

/** Checks `Authorization: Basic base64(key:secret)` against the configured consumer key pair. */
export function checkBasicCredentials(header: string | null): boolean {
  if (!header?.startsWith('Basic ')) return false;
  let decoded: string;
  try {
    decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  } catch {
    return false;
  }
  return sameSecret(decoded, `${requireSecret('DARAJA_CONSUMER_KEY')}:${requireSecret('DARAJA_CONSUMER_SECRET')}`);
}

export function issueAccessToken(nowMs = Date.now()): { access_token: string; expires_in: string } {
  const ttl = tokenTtlSeconds();
  // to the millisecond: the token lives expires_in seconds from now (a whole-second expiry rounded
  // down took up to a second off its life, so a token used at once could already be refused)
  const expiresAtMs = nowMs + ttl * 1000;
  return { access_token: `${expiresAtMs.toString(36)}${mac(expiresAtMs)}`, expires_in: String(ttl) };
}

/** A token is valid when its MAC matches and it has not expired. */
export function checkAccessToken(header: string | null, nowMs = Date.now()): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const token = header.slice('Bearer '.length).trim();
  if (token.length <= 32) return false;
  const expiresAtMs = parseInt(token.slice(0, -32), 36);
  if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs <= nowMs) return false;
  return sameSecret(token.slice(-32), mac(expiresAtMs));
}

export function checkStkPassword(shortcode: string, password: string, timestamp: string): boolean {
  if (shortcode !== env().DARAJA_SHORTCODE) return false;
  return sameSecret(password, Buffer.from(`${shortcode}${requireSecret('DARAJA_PASSKEY')}${timestamp}`).toString('base64'));
}
