import { randomInt } from 'node:crypto';
import { and, desc, eq, gt, inArray, or } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { env } from '@/lib/env';
import { sandboxMpesaStkRequests, type SandboxMpesaStkRequest } from '@/db/schema';
import { emitStkCallback } from './callbacks';
import { postMovement } from './books';
import { findShortcode } from './shortcodes';
import { sendSms, smsText } from './sms';
import { CORRECT_PIN, customerNameFor, resultDescription, TEST_PHONES } from './test-phones';
import { receiptNumber } from './wire';
import { sandboxSettings } from './settings';

/**
 * The offline Daraja's STK push lifecycle: a request waits for the customer on the simulated
 * phone (or answers by itself for a test number), times out with 1037, and is completed once,
 * atomically; each completion sends one callback (two with the duplicate fault).
 */

/** How long the prompt waits on the phone before Daraja gives up (1037). */
export const promptTimeoutMs = () => sandboxSettings().MPESA_SANDBOX_PROMPT_TIMEOUT_MS ?? env().DARAJA_STK_PROMPT_LIFETIME_MS;
/** How long a test number takes to "answer". */
const autoAnswerMs = () => sandboxSettings().MPESA_SANDBOX_AUTO_ANSWER_MS;
const RULE_17_WINDOW_MS = 2 * 60_000;

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
function checkoutRequestId(now: Date): string {
  const d = new Date(now.getTime() + 3 * 3_600_000).toISOString();
  const stamp = `${d.slice(8, 10)}${d.slice(5, 7)}${d.slice(0, 4)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
  return `ws_CO_${stamp}${digits(9)}`;
}

export interface NewStkRequest {
  shortcode: string;
  amount: number;
  phone: string;
  accountReference: string;
  transactionDesc: string;
  callbackUrl: string;
  transactionType: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
}

export async function createStkRequest(input: NewStkRequest): Promise<SandboxMpesaStkRequest> {
  const db = getDb();
  const now = new Date();
  // Rule 17: M-Pesa refuses the same amount to the same phone within 2 minutes of one that went through or is waiting.
  const [recent] = await db
    .select({ id: sandboxMpesaStkRequests.id })
    .from(sandboxMpesaStkRequests)
    .where(
      and(
        eq(sandboxMpesaStkRequests.phone, input.phone),
        eq(sandboxMpesaStkRequests.amount, input.amount),
        eq(sandboxMpesaStkRequests.shortcode, input.shortcode),
        gt(sandboxMpesaStkRequests.createdAt, new Date(now.getTime() - RULE_17_WINDOW_MS)),
        or(eq(sandboxMpesaStkRequests.status, 'pending'), eq(sandboxMpesaStkRequests.resultCode, 0)),
      ),
    )
    .limit(1);
  const [row] = await db
    .insert(sandboxMpesaStkRequests)
    .values({
      id: checkoutRequestId(now),
      merchantRequestId: `${digits(5)}-${digits(8)}-1`,
      ...input,
      status: 'pending',
      expiresAt: new Date(now.getTime() + promptTimeoutMs()),
      createdAt: now,
    })
    .returning();
  if (!row) throw new Error('sandbox STK insert returned nothing');
  if (recent) schedule(row.id, autoAnswerMs(), 17);
  else if (TEST_PHONES[row.phone]) schedule(row.id, autoAnswerMs(), TEST_PHONES[row.phone]!.resultCode);
  else schedule(row.id, promptTimeoutMs() + 50, 1037);
  return row;
}

// Timers make callbacks arrive on time in a running server; settleDue covers a restart in between.
const pendingCodes = new Map<string, number>();

function schedule(id: string, afterMs: number, resultCode: number): void {
  if (resultCode !== 1037) pendingCodes.set(id, resultCode);
  setTimeout(() => {
    void settleDue(id).catch((err: unknown) =>
      console.warn('[sandbox-mpesa] settle failed:', err instanceof Error ? err.message : err),
    );
  }, afterMs).unref?.();
}

/**
 * Completes a request once: the conditional update lets exactly one caller win and call back. A
 * payment (0) credits the shortcode's Utility account and texts the customer in the same transaction.
 */
export async function completeStkRequest(id: string, resultCode: number): Promise<SandboxMpesaStkRequest | undefined> {
  const now = new Date();
  const receipt = resultCode === 0 ? receiptNumber(now) : null;
  const row = await getDb().transaction(async (tx) => {
    const [done] = await tx
      .update(sandboxMpesaStkRequests)
      .set({
        status: 'completed',
        resultCode,
        resultDesc: resultDescription(resultCode),
        receiptNumber: receipt,
        completedAt: now,
      })
      .where(and(eq(sandboxMpesaStkRequests.id, id), eq(sandboxMpesaStkRequests.status, 'pending')))
      .returning();
    if (done && receipt) {
      const shortcode = await findShortcode(done.shortcode);
      if (!shortcode) throw new Error(`STK push to unknown shortcode ${done.shortcode}`);
      const amountCents = BigInt(done.amount) * 100n;
      await postMovement(tx, {
        id: receipt,
        shortcode: done.shortcode,
        kind: 'stk',
        // a push to a till pays the till: the Merchant account, like a Buy Goods payment
        ...(done.transactionType === 'CustomerBuyGoodsOnline' ? { account: 'merchant' as const } : {}),
        direction: 'in',
        amountCents,
        msisdn: done.phone,
        customerName: customerNameFor(done.phone),
        billReference: done.accountReference,
      });
      await sendSms(tx, done.phone, smsText.paid(receipt, amountCents, shortcode.organizationName, done.accountReference, now));
    }
    return done;
  });
  if (row) {
    pendingCodes.delete(id);
    emitStkCallback(row);
  }
  return row;
}

/** Applies what is due for a pending request: a test number's answer, or the timeout. */
async function settleDue(id: string): Promise<SandboxMpesaStkRequest | undefined> {
  const [row] = await getDb().select().from(sandboxMpesaStkRequests).where(eq(sandboxMpesaStkRequests.id, id));
  if (!row || row.status !== 'pending') return row;
  const now = Date.now();
  const auto = pendingCodes.get(id) ?? TEST_PHONES[row.phone]?.resultCode;
  if (auto !== undefined && now >= row.createdAt.getTime() + autoAnswerMs())
    return (await completeStkRequest(id, auto)) ?? reload(id);
  if (now >= row.expiresAt.getTime()) return (await completeStkRequest(id, 1037)) ?? reload(id);
  return row;
}

async function reload(id: string) {
  const [row] = await getDb().select().from(sandboxMpesaStkRequests).where(eq(sandboxMpesaStkRequests.id, id));
  return row;
}

/** What STK query sees: the request with anything due applied. */
export async function findStkRequest(id: string): Promise<SandboxMpesaStkRequest | undefined> {
  return settleDue(id);
}

export interface PhonePrompt {
  checkoutRequestId: string;
  amount: number;
  payee: string;
  expiresAt: string;
}

/** The prompt the phone shows now: its oldest pending request that has not timed out. */
export async function findPendingPrompt(phone: string): Promise<PhonePrompt | null> {
  const rows = await getDb()
    .select()
    .from(sandboxMpesaStkRequests)
    .where(and(eq(sandboxMpesaStkRequests.phone, phone), inArray(sandboxMpesaStkRequests.status, ['pending'])))
    .orderBy(desc(sandboxMpesaStkRequests.createdAt))
    .limit(5);
  for (const row of rows.reverse()) {
    const settled = await settleDue(row.id);
    if (settled?.status === 'pending') {
      return {
        checkoutRequestId: settled.id,
        amount: settled.amount,
        payee: settled.accountReference,
        expiresAt: settled.expiresAt.toISOString(),
      };
    }
  }
  return null;
}

export type PhoneAnswer = { action: 'pin'; pin: string } | { action: 'cancel' };

export interface PhoneAnswerResult {
  resultCode: number;
  message: string;
}

/** The customer answers the prompt: the right PIN pays (0), a wrong one fails (2001), cancel is 1032. */
export async function answerPrompt(
  phone: string,
  checkoutRequestId: string,
  answer: PhoneAnswer,
): Promise<PhoneAnswerResult | null> {
  const row = await settleDue(checkoutRequestId);
  if (!row || row.phone !== phone) return null;
  if (row.status !== 'pending') {
    return {
      resultCode: row.resultCode ?? 1037,
      message: `This request is no longer waiting (${row.resultDesc ?? 'completed'}).`,
    };
  }
  const code = answer.action === 'cancel' ? 1032 : answer.pin === CORRECT_PIN ? 0 : 2001;
  const done = (await completeStkRequest(row.id, code)) ?? (await reload(row.id));
  const finalCode = done?.resultCode ?? code;
  const messages: Record<number, string> = {
    0: `${done?.receiptNumber ?? ''} Confirmed. KES ${row.amount.toLocaleString('en-KE')} paid to ${row.accountReference}.`.trim(),
    1032: 'You cancelled the request.',
    2001: 'Wrong PIN. The request was not completed.',
  };
  return { resultCode: finalCode, message: messages[finalCode] ?? resultDescription(finalCode) };
}
