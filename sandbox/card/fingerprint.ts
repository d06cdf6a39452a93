import { createHash, createHmac } from 'node:crypto';
import { requireSecret } from '@/lib/env';

/**
 * A keyed hash, not a plain one: with only ~10^6 possible middles for a known BIN and last4, an
 * unkeyed hash of a PAN is trivially reversible. The key derives from the acquirer secret, so it
 * is stable for a deployment and never leaves the server.
 */
function fingerprintKey(): Buffer {
  return createHash('sha256').update(`sandbox-card-fingerprint:${requireSecret('SANDBOX_ACQUIRER_KEY')}`).digest();
}

/** The same card number always gives the same fingerprint (for blocklists and repeat-card checks). */
export function cardFingerprint(digits: string): string {
  return createHmac('sha256', fingerprintKey()).update(digits).digest('base64url').slice(0, 16);
}
