import {
  constants,
  createPrivateKey,
  createSign,
  generateKeyPair,
  privateDecrypt,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { sandboxMpesaKeys } from '@/db/schema';

/**
 * The sandbox's public-key certificate, as Safaricom publishes one for production and one for its
 * sandbox: the merchant encrypts the initiator password with it (RSA PKCS#1 v1.5, base64) and sends
 * the result as SecurityCredential. The key pair and a self-signed X.509 v3 certificate are
 * generated once per install and kept in sandbox_mpesa_keys.
 */

// --- a minimal DER writer: just what a self-signed certificate needs ---------------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const nullValue = () => Buffer.from([0x05, 0x00]);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const printable = (s: string) => tlv(0x13, Buffer.from(s, 'ascii'));

function positiveInteger(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  // a leading 1 bit would make it negative in two's complement
  if ((b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let v = part;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 requires. */
function time(at: Date): Buffer {
  const iso = at.toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return at.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(stamp.slice(2))) : tlv(0x18, Buffer.from(stamp));
}

const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_COUNTRY = '2.5.4.6';

function name(commonName: string): Buffer {
  return seq(
    set(seq(oid(OID_COUNTRY), printable('KE'))),
    set(seq(oid(OID_ORGANIZATION), utf8('paykit offline Daraja sandbox'))),
    set(seq(oid(OID_COMMON_NAME), utf8(commonName))),
  );
}

const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')
    .trimEnd()}\n-----END ${label}-----\n`;

export interface GeneratedKeys {
  privateKeyPem: string;
  certificatePem: string;
}

/** A fresh 2048-bit RSA key and a self-signed certificate over it, valid for ten years. */
export async function generateSandboxCertificate(now = new Date()): Promise<GeneratedKeys> {
  // async: a 2048-bit key takes long enough that it should not block the event loop
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const algorithm = seq(oid(OID_SHA256_WITH_RSA), nullValue());
  const subject = name('apisandbox.paykit.local');
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const tbs = seq(
    tlv(0xa0, positiveInteger(Buffer.from([2]))), // [0] EXPLICIT version: v3
    positiveInteger(randomBytes(16)),
    algorithm,
    subject,
    seq(time(new Date(now.getTime() - 60_000)), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const certificate = seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const checked = new X509Certificate(certificate);
  if (!checked.verify(publicKey)) throw new Error('generated sandbox certificate does not verify');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: pem('CERTIFICATE', certificate),
  };
}

// --- the install's key, created once ------------------------------------------------------------

const KEY_ID = 'security-credential';
let cached: GeneratedKeys | undefined;

/** The install's key and certificate; the first caller creates them, concurrent callers agree on one. */
export async function sandboxKeys(): Promise<GeneratedKeys> {
  if (cached) return cached;
  const db = getDb();
  const [existing] = await db.select().from(sandboxMpesaKeys).where(eq(sandboxMpesaKeys.id, KEY_ID));
  if (!existing) {
    await db
      .insert(sandboxMpesaKeys)
      .values({ id: KEY_ID, ...(await generateSandboxCertificate()) })
      .onConflictDoNothing();
  }
  const [row] = await db.select().from(sandboxMpesaKeys).where(eq(sandboxMpesaKeys.id, KEY_ID));
  if (!row) throw new Error('sandbox key row missing after insert');
  cached = { privateKeyPem: row.privateKeyPem, certificatePem: row.certificatePem };
  return cached;
}

/** Forgets the cached key (tests give each file its own database). */
export function resetSandboxKeyCache(): void {
  cached = undefined;
}

/**
 * Decrypts a SecurityCredential: base64 of RSA PKCS#1 v1.5 over the initiator password. Node 20
 * refuses PKCS#1 v1.5 private decryption (Marvin attack mitigation), so the raw RSA operation is
 * done with no padding and the v1.5 block (00 02 PS 00 M, PS at least 8 non-zero bytes) is checked
 * here. A sandbox answers only "valid initiator or not", so this is no decryption oracle worth having.
 * Returns null for anything that is not a well-formed credential.
 */
export async function decryptSecurityCredential(credential: string): Promise<string | null> {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credential)) return null;
  const { privateKeyPem } = await sandboxKeys();
  const key = createPrivateKey(privateKeyPem);
  const modulusBytes = (key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
  const encrypted = Buffer.from(credential, 'base64');
  if (encrypted.length !== modulusBytes) return null;
  let block: Buffer;
  try {
    block = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, encrypted);
  } catch {
    return null;
  }
  if (block[0] !== 0x00 || block[1] !== 0x02) return null;
  const separator = block.indexOf(0x00, 2);
  if (separator < 10) return null;
  return block.subarray(separator + 1).toString('utf8');
}
