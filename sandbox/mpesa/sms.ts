import { randomBytes } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { getDb } from '@/db/client';
import { sandboxMpesaSms } from '@/db/schema';
import { wireAmount } from './wire';

/**
 * The SMS M-Pesa sends the customer for each movement on their number, kept per simulated phone.
 * Written in the transaction that moves the money, so a message exists exactly when the money moved.
 */

export async function sendSms(db: DbOrTx, msisdn: string, body: string): Promise<void> {
  await db.insert(sandboxMpesaSms).values({ id: `sms_${randomBytes(10).toString('hex')}`, msisdn, body });
}

export interface PhoneMessage {
  id: string;
  body: string;
  receivedAt: string;
}

export async function listSms(msisdn: string, limit = 20): Promise<PhoneMessage[]> {
  const rows = await getDb()
    .select()
    .from(sandboxMpesaSms)
    .where(eq(sandboxMpesaSms.msisdn, msisdn))
    .orderBy(desc(sandboxMpesaSms.createdAt), desc(sandboxMpesaSms.id))
    .limit(limit);
  return rows.map((r) => ({ id: r.id, body: r.body, receivedAt: r.createdAt.toISOString() }));
}

function smsTime(at: Date): string {
  const d = new Date(at.getTime() + 3 * 3_600_000);
  const h = d.getUTCHours();
  const hour12 = h % 12 === 0 ? 12 : h % 12;
  return `${d.getUTCDate()}/${d.getUTCMonth() + 1}/${String(d.getUTCFullYear()).slice(2)} at ${hour12}:${String(d.getUTCMinutes()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}

const ksh = (cents: bigint) => `Ksh${wireAmount(cents)}`;

export const smsText = {
  paid: (receipt: string, cents: bigint, organization: string, account: string, at: Date) =>
    `${receipt} Confirmed. ${ksh(cents)} sent to ${organization}${account ? ` for account ${account}` : ''} on ${smsTime(at)}.`,
  received: (receipt: string, cents: bigint, organization: string, at: Date) =>
    `${receipt} Confirmed. You have received ${ksh(cents)} from ${organization} on ${smsTime(at)}.`,
  reversed: (receipt: string, original: string, cents: bigint, at: Date) =>
    `${receipt} Confirmed. Transaction ${original} has been reversed. ${ksh(cents)} is credited to your M-PESA account on ${smsTime(at)}.`,
  failed: (organization: string, reason: string) => `Failed. Your payment to ${organization} was not completed: ${reason}`,
};
