import { randomBytes } from 'node:crypto';

/**
 * The per-install secrets: keys, tokens and signing secrets that must be unknown to anyone but
 * this install. None has a default and none is derived from a constant in the source: `npm start`
 * generates them once into the data dir (scripts/lib/data-files.ts), the test setup makes its
 * own, and a deployment sets them. With NODE_ENV=production a missing one, or one that is
 * publicly known, stops the app at boot (lib/env/index.ts).
 */
export const INSTALL_SECRET_NAMES = [
  /** Signs dashboard sessions (NextAuth JWTs). */
  'AUTH_SECRET',
  /** Shared secret of the card adapter and the sandbox acquirer. */
  'SANDBOX_ACQUIRER_KEY',
  /** Signs the sandbox card network's callbacks (HMAC-SHA256). */
  'SANDBOX_CALLBACK_SECRET',
  /** Daraja app credentials (the offline Daraja checks the same values). */
  'DARAJA_CONSUMER_KEY',
  'DARAJA_CONSUMER_SECRET',
  /** Lipa Na M-Pesa Online passkey (the offline Daraja checks the same value). */
  'DARAJA_PASSKEY',
  /** Secret path segment of our M-Pesa callback URL (Daraja callbacks are unsigned). */
  'DARAJA_CALLBACK_TOKEN',
] as const;

export type InstallSecretName = (typeof INSTALL_SECRET_NAMES)[number];
export type InstallSecrets = Record<InstallSecretName, string>;

/**
 * Values everyone knows: defaults of earlier versions and Safaricom's published sandbox passkey.
 * An install still using one is open to anyone who has read the source or Daraja's docs, so
 * production refuses them. (A denylist, never used as a value.)
 */
export const PUBLICLY_KNOWN_SECRET_VALUES: Readonly<Record<string, readonly string[]>> = {
  SANDBOX_ACQUIRER_KEY: ['sbx_acquirer_local_development_key'],
  DARAJA_CONSUMER_KEY: ['paykit_sandbox_consumer_key'],
  DARAJA_CONSUMER_SECRET: ['paykit_sandbox_consumer_secret'],
  DARAJA_PASSKEY: ['bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919'],
};

/** 32 random bytes as URL-safe text (43 characters): fits every secret's format, including a URL path segment. */
const randomSecret = () => randomBytes(32).toString('base64url');

/** A fresh, random value for every install secret. */
export function generateInstallSecrets(): InstallSecrets {
  return Object.fromEntries(INSTALL_SECRET_NAMES.map((name) => [name, randomSecret()])) as InstallSecrets;
}
