import { randomInt } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { mpesaC2bPayments, mpesaPaybillAccounts, type MpesaC2bPayment, type MpesaPaybillAccount } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import type { DarajaClient } from './client';
import { centsFromDaraja, type PullTransaction } from './org-client';

/**
 * Pay with Paybill (C2B) on Daraja's side: the per-session account numbers, the answer to
 * Daraja's validation request (Daraja's documented C2B result codes), the C2B body, the
 * verification of a payment by Pull Transactions (a query: the confirmation is only a hint), and
 * the idempotent registration of our URLs.
 */

/** Daraja's C2B validation result codes (documented for the ValidationURL's answer). */
export const C2B_REJECTIONS = {
  invalidMsisdn: { ResultCode: 'C2B00011', ResultDesc: 'Invalid MSISDN' },
  invalidAccount: { ResultCode: 'C2B00012', ResultDesc: 'Invalid Account Number' },
  invalidAmount: { ResultCode: 'C2B00013', ResultDesc: 'Invalid Amount' },
  invalidShortcode: { ResultCode: 'C2B00015', ResultDesc: 'Invalid Shortcode' },
  other: { ResultCode: 'C2B00016', ResultDesc: 'Other Error' },
} as const;
export const C2B_ACCEPTED = { ResultCode: '0', ResultDesc: 'Accepted' } as const;
export type C2bValidationAnswer = typeof C2B_ACCEPTED | (typeof C2B_REJECTIONS)[keyof typeof C2B_REJECTIONS];

const text = (max: number) => z.union([z.string().max(max), z.number()]).transform(String);
export const c2bBodySchema = z.object({
  TransactionType: z.string().max(40).optional(),
  TransID: z.string().regex(/^[A-Z0-9]{6,20}$/),
  TransTime: text(20).optional(),
  TransAmount: text(20),
  BusinessShortCode: text(10),
  BillRefNumber: z.string().max(40).default(''),
  MSISDN: text(100).default(''),
});
export type C2bBody = z.output<typeof c2bBodySchema>;

export function parseC2bBody(rawBody: string): C2bBody {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError('body_invalid_json', 'The C2B body is not valid JSON.');
  }
  const parsed = c2bBodySchema.safeParse(json);
  if (!parsed.success) throw new AppError('parameter_invalid', 'The body is not a Daraja C2B request (TransID, TransAmount, BillRefNumber).');
  return parsed.data;
}

// no 0/O, 1/I/L: the customer types this on a phone keypad
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const newAccountNumber = () => `PK${Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;

export const normalizeAccountNumber = (value: string) => value.trim().toUpperCase().replace(/\s+/g, '');

/** The session's account number, made on first use. Safe to call twice: one row per session (unique index). */
export async function paybillAccountFor(session: { id: string; paymentIntentId: string; merchantId: string; amountTotal: number }): Promise<MpesaPaybillAccount> {
  const db = getDb();
  for (let i = 0; i < 5; i++) {
    const [found] = await db.select().from(mpesaPaybillAccounts).where(eq(mpesaPaybillAccounts.checkoutSessionId, session.id));
    if (found) return found;
    await db
      .insert(mpesaPaybillAccounts)
      .values({
        accountNumber: newAccountNumber(),
        checkoutSessionId: session.id,
        paymentIntentId: session.paymentIntentId,
        merchantId: session.merchantId,
        amountMinor: session.amountTotal,
      })
      .onConflictDoNothing();
  }
  throw new Error(`no Paybill account number could be made for ${session.id}`);
}

export async function findPaybillAccount(accountNumber: string): Promise<MpesaPaybillAccount | undefined> {
  const [row] = await getDb().select().from(mpesaPaybillAccounts).where(eq(mpesaPaybillAccounts.accountNumber, normalizeAccountNumber(accountNumber)));
  return row;
}

/**
 * Daraja's validation request: accept only our shortcode, a known account number and its exact
 * amount; `payable` says whether the account's session can still be paid.
 */
export function validationAnswer(body: C2bBody, account: MpesaPaybillAccount | undefined, payable: boolean): C2bValidationAnswer {
  if (body.BusinessShortCode !== env().DARAJA_SHORTCODE) return C2B_REJECTIONS.invalidShortcode;
  if (!account) return C2B_REJECTIONS.invalidAccount;
  if (centsFromDaraja(body.TransAmount) !== account.amountMinor) return C2B_REJECTIONS.invalidAmount;
  if (!payable) return C2B_REJECTIONS.invalidAccount;
  return C2B_ACCEPTED;
}

/** How far back Pull Transactions is asked (Daraja keeps 48 hours). */
const PULL_LOOKBACK_MS = 24 * 3_600_000;
const PULL_PAGE = 100;

/** The shortcode's movements in the window, one page at a time (reconciliation streams them). A read: safe to repeat. */
export async function* pullMovementPages(client: DarajaClient, from: Date, to: Date): AsyncGenerator<PullTransaction[]> {
  for (let offset = 0; ; offset += PULL_PAGE) {
    const page = await client.org.pullTransactions(from, to, offset);
    yield page;
    if (page.length < PULL_PAGE) return;
  }
}

/** Every movement of the shortcode in the window, page by page. A read: safe to repeat. */
export async function pullMovements(client: DarajaClient, from: Date, to: Date): Promise<PullTransaction[]> {
  const all: PullTransaction[] = [];
  for await (const page of pullMovementPages(client, from, to)) all.push(...page);
  return all;
}

/** The shortcode's own record of a C2B payment (Pull Transactions): the truth behind a confirmation. */
export async function verifyC2bByPull(client: DarajaClient, transId: string): Promise<PullTransaction | null> {
  const now = new Date();
  const movements = await pullMovements(client, new Date(now.getTime() - PULL_LOOKBACK_MS), new Date(now.getTime() + 60_000));
  return movements.find((m) => m.transactionId === transId && m.transactionType.startsWith('c2b-')) ?? null;
}

export const isPaybillReceipt = (m: PullTransaction) => m.transactionType === 'c2b-pay-bill-debit' && /^PK[A-Z0-9]{6}$/.test(normalizeAccountNumber(m.billReference));

export async function findC2bPayment(transId: string): Promise<MpesaC2bPayment | undefined> {
  const [row] = await getDb().select().from(mpesaC2bPayments).where(eq(mpesaC2bPayments.transId, transId));
  return row;
}

/** Receipts already recorded, of those given (the Pull sweep skips them). */
export async function recordedTransIds(transIds: string[]): Promise<Set<string>> {
  if (transIds.length === 0) return new Set();
  const rows = await getDb()
    .select({ transId: mpesaC2bPayments.transId })
    .from(mpesaC2bPayments)
    .where(sql`${mpesaC2bPayments.transId} in ${transIds}`);
  return new Set(rows.map((r) => r.transId));
}

let registered: { key: string; done: Promise<void> } | undefined;

/**
 * Registers our ValidationURL and ConfirmationURL (C2B v1: the payer's MSISDN in full) and Pull
 * Transactions for the shortcode. Idempotent at Daraja (a re-registration replaces the URLs);
 * done once per process and configuration unless `force` (the Pull sweep re-registers).
 */
export function ensureC2bRegistered(client: DarajaClient, urls: { validationUrl: string; confirmationUrl: string; pullCallbackUrl: string }, force = false): Promise<void> {
  const key = `${env().DARAJA_BASE_URL}|${env().DARAJA_SHORTCODE}|${urls.confirmationUrl}`;
  if (force || registered?.key !== key) {
    const done = (async () => {
      await client.org.registerC2bUrls({ version: 'v1', responseType: 'Cancelled', ...urls });
      await client.org.registerPull(env().DARAJA_NOMINATED_NUMBER, urls.pullCallbackUrl);
    })();
    done.catch(() => {
      if (registered?.done === done) registered = undefined;
    });
    registered = { key, done };
  }
  return registered.done;
}
