import { constants, publicEncrypt, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { env, EnvError } from '@/lib/env';
import type { DarajaClient } from './client';
import type { Initiator } from './org-client';

/**
 * The SecurityCredential of Daraja's organisation APIs, made as Safaricom requires in production:
 * the initiator's password encrypted (RSA, PKCS#1 v1.5, base64) with Safaricom's public-key
 * certificate. The certificate comes from DARAJA_CERTIFICATE_PATH (PEM or DER, as downloaded
 * from the Daraja portal) or DARAJA_CERTIFICATE_URL; with the offline sandbox, from the URL it
 * serves. The initiator is DARAJA_INITIATOR_NAME / _PASSWORD from the M-Pesa org portal; with
 * the offline sandbox (no DARAJA_BASE_URL) and none set, it is read from the sandbox's own portal
 * page over HTTP, as an operator would copy it from Safaricom's.
 */

const portalAnswer = z.object({ initiatorName: z.string().min(1), initiatorPassword: z.string().min(1) });

let cached: { key: string; initiator: Promise<Initiator> } | undefined;

/** The offline Daraja this app serves (the default when DARAJA_BASE_URL is unset). */
function usesOfflineSandbox(): boolean {
  const e = env();
  return e.DARAJA_BASE_URL === `${e.APP_URL}/api/sandbox/mpesa`;
}

async function loadCertificate(): Promise<X509Certificate> {
  const e = env();
  if (e.DARAJA_CERTIFICATE_PATH) return new X509Certificate(await readFile(e.DARAJA_CERTIFICATE_PATH));
  const url = e.DARAJA_CERTIFICATE_URL ?? (usesOfflineSandbox() ? `${e.DARAJA_BASE_URL}/certificates/sandbox.cer` : undefined);
  if (!url)
    throw new EnvError(['DARAJA_CERTIFICATE_PATH: not set (the certificate from the Daraja portal that encrypts the initiator password)']);
  const res = await fetch(url, { signal: AbortSignal.timeout(e.PSP_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`Daraja certificate: HTTP ${res.status} from ${url}`);
  return new X509Certificate(Buffer.from(await res.arrayBuffer()));
}

async function loadInitiator(client: DarajaClient): Promise<{ name: string; password: string }> {
  const e = env();
  if (e.DARAJA_INITIATOR_NAME && e.DARAJA_INITIATOR_PASSWORD) return { name: e.DARAJA_INITIATOR_NAME, password: e.DARAJA_INITIATOR_PASSWORD };
  if (!usesOfflineSandbox())
    throw new EnvError(['DARAJA_INITIATOR_NAME, DARAJA_INITIATOR_PASSWORD: not set (the API initiator from the M-Pesa org portal)']);
  const res = await fetch(`${e.DARAJA_BASE_URL}/portal/shortcodes/${e.DARAJA_SHORTCODE}`, {
    headers: { authorization: `Bearer ${await client.accessToken()}` },
    signal: AbortSignal.timeout(e.PSP_TIMEOUT_MS),
  });
  const parsed = portalAnswer.safeParse(res.ok ? await res.json() : null);
  if (!parsed.success) throw new Error(`Daraja sandbox portal: no initiator for ${e.DARAJA_SHORTCODE} (HTTP ${res.status})`);
  return { name: parsed.data.initiatorName, password: parsed.data.initiatorPassword };
}

export function encryptSecurityCredential(password: string, certificate: X509Certificate): string {
  return publicEncrypt({ key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(password, 'utf8')).toString('base64');
}

/** The initiator with its SecurityCredential, computed once per configuration (a failure is retried next call). */
export function darajaInitiator(client: DarajaClient): Promise<Initiator> {
  const e = env();
  const key = [e.DARAJA_BASE_URL, e.DARAJA_SHORTCODE, e.DARAJA_INITIATOR_NAME, e.DARAJA_CERTIFICATE_PATH, e.DARAJA_CERTIFICATE_URL].join('|');
  if (cached?.key !== key) {
    const initiator = (async () => {
      const [who, certificate] = await Promise.all([loadInitiator(client), loadCertificate()]);
      return { name: who.name, securityCredential: encryptSecurityCredential(who.password, certificate) };
    })();
    initiator.catch(() => {
      if (cached?.initiator === initiator) cached = undefined;
    });
    cached = { key, initiator };
  }
  return cached.initiator;
}

export function resetDarajaInitiator(): void {
  cached = undefined;
}
