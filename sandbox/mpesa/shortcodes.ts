import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { sandboxMpesaShortcodes, type SandboxMpesaShortcode } from '@/db/schema';
import { env } from '@/lib/env';
import { decryptSecurityCredential } from './certificate';

/**
 * The business shortcodes the sandbox knows. The configured DARAJA_SHORTCODE exists from first
 * use, with an API initiator whose name and password are generated then (per install, never a
 * constant) and shown by the sandbox's portal endpoint, as the M-Pesa org portal shows them.
 */

export function knownShortcode(shortcode: string): boolean {
  return shortcode === env().DARAJA_SHORTCODE;
}

/**
 * The store a till number belongs to (Safaricom's hierarchy: head office > store > till): the
 * configured DARAJA_TILL_NUMBER is a till of DARAJA_SHORTCODE. Undefined for any other number.
 */
export function storeOfTill(till: string): string | undefined {
  const e = env();
  return e.DARAJA_TILL_NUMBER !== undefined && till === e.DARAJA_TILL_NUMBER ? e.DARAJA_SHORTCODE : undefined;
}

/** The shortcode's row, created on first use with a fresh initiator; undefined for an unknown shortcode. */
export async function findShortcode(shortcode: string): Promise<SandboxMpesaShortcode | undefined> {
  if (!knownShortcode(shortcode)) return undefined;
  const db = getDb();
  const [existing] = await db.select().from(sandboxMpesaShortcodes).where(eq(sandboxMpesaShortcodes.shortcode, shortcode));
  if (existing) return existing;
  await db
    .insert(sandboxMpesaShortcodes)
    .values({
      shortcode,
      organizationName: 'Sandbox Merchant',
      initiatorName: `paykit_api_${randomBytes(3).toString('hex')}`,
      // Daraja initiator passwords mix cases, digits and symbols
      initiatorPassword: `${randomBytes(12).toString('base64url')}#9a`,
    })
    .onConflictDoNothing();
  const [row] = await db.select().from(sandboxMpesaShortcodes).where(eq(sandboxMpesaShortcodes.shortcode, shortcode));
  return row;
}

/** True when the initiator name matches and SecurityCredential decrypts to its password. */
export async function checkInitiator(
  shortcode: SandboxMpesaShortcode,
  initiator: string,
  securityCredential: string,
): Promise<boolean> {
  if (initiator !== shortcode.initiatorName) return false;
  const password = await decryptSecurityCredential(securityCredential);
  return password !== null && password === shortcode.initiatorPassword;
}

export interface C2bRegistration {
  confirmationUrl: string;
  validationUrl: string;
  responseType: 'Completed' | 'Cancelled';
  version: 'v1' | 'v2';
}

/** Registers (or replaces) the C2B URLs: the sandbox accepts re-registration, as Safaricom's sandbox does. */
export async function registerC2bUrls(shortcode: string, registration: C2bRegistration): Promise<void> {
  await getDb()
    .update(sandboxMpesaShortcodes)
    .set({
      c2bConfirmationUrl: registration.confirmationUrl,
      c2bValidationUrl: registration.validationUrl,
      c2bResponseType: registration.responseType,
      c2bApiVersion: registration.version,
    })
    .where(eq(sandboxMpesaShortcodes.shortcode, shortcode));
}

export async function registerPull(shortcode: string, nominatedNumber: string, callbackUrl: string): Promise<void> {
  await getDb()
    .update(sandboxMpesaShortcodes)
    .set({ pullNominatedNumber: nominatedNumber, pullCallbackUrl: callbackUrl, pullRegisteredAt: new Date() })
    .where(eq(sandboxMpesaShortcodes.shortcode, shortcode));
}
