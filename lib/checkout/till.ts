import { and, eq, gt, isNotNull, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { checkoutSessions, mpesaPayments, mpesaTillSessions, type MpesaPaybillAccount, type MpesaTillSession } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { CONFIRMABLE_STATUSES } from '@/lib/payments/state-machine';
import {
  centsFromDaraja,
  normalizeMsisdn,
  tillNumber,
  tillValidationAnswer,
  type C2bBody,
  type C2bValidationAnswer,
  type PullTransaction,
  type TillMatch,
} from '@/lib/psp/daraja';
import { c2bOfferedSession, maskPhone, mpesaOffer } from './mpesa';
import { openSession } from './pay';
import { assertSessionOffers, findSessionForCustomer } from './sessions';

/**
 * Pay with Till (Buy Goods) on the pay page. A Buy Goods payment names no account, so the pay
 * page asks the phone the customer will pay from and shows the till number and the exact amount;
 * a session is then "expecting" that phone and amount (mpesa_till_sessions). Daraja's validation
 * accepts a till payment only when exactly one open session expects its payer and amount, and
 * records that session against the receipt; the confirmation (a hint) then goes through Paybill's
 * one apply path (applyVerifiedPaybillPayment), verified by Pull Transactions. Two sessions that
 * would expect the same phone and amount are refused at the start, and, should a race let both
 * in, every payment that cannot be told apart is refused or given back: never credited to a guess.
 */

/** The part of a Paybill account (or a till session) the C2B apply needs: which session a receipt pays. */
export type C2bTarget = Pick<MpesaPaybillAccount, 'checkoutSessionId' | 'paymentIntentId' | 'merchantId' | 'amountMinor'>;

/**
 * The session can still be paid by a C2B receipt: open, not expired, its intent confirmable.
 * orOnlyInFlight: an intent `processing` (an attempt in flight, which may still fail) counts too.
 */
export async function c2bSessionPayable(checkoutSessionId: string, orOnlyInFlight = false): Promise<boolean> {
  const row = await findSessionForCustomer(checkoutSessionId);
  const statusOk = CONFIRMABLE_STATUSES.includes(row?.pi.status as never) || (orOnlyInFlight && row?.pi.status === 'processing');
  return Boolean(row && row.session.status === 'open' && row.session.expiresAt > new Date() && statusOk);
}

export const startTillBody = z.object({ phone: z.string().trim().min(1, 'Enter your M-Pesa phone number.').max(40) }).strict();

export interface TillInstructions {
  tillNumber: string;
  /** The (masked) phone the session already expects a payment from: the page shows the instructions again. */
  expectingPhone: string | null;
}

/** Whether the pay page offers Pay with Till: a till is configured, M-Pesa fits the session, our URLs are registered. */
export async function tillForSession(sessionId: string): Promise<TillInstructions | null> {
  const till = tillNumber();
  if (!till) return null;
  if (!(await c2bOfferedSession(sessionId, 'Till'))) return null;
  const [expecting] = await getDb().select().from(mpesaTillSessions).where(eq(mpesaTillSessions.checkoutSessionId, sessionId));
  return { tillNumber: till, expectingPhone: expecting ? maskPhone(expecting.phone) : null };
}

export interface TillStarted {
  status: 'expecting';
  till_number: string;
  amount: number;
  currency: 'kes';
  phone: string;
}

/** The still-open sessions expecting a Till payment from this phone (any amount), other than `except`. */
async function sessionsExpecting(phone: string, except?: string): Promise<MpesaTillSession[]> {
  const rows = await getDb()
    .select({ till: mpesaTillSessions })
    .from(mpesaTillSessions)
    .innerJoin(checkoutSessions, eq(checkoutSessions.id, mpesaTillSessions.checkoutSessionId))
    .where(
      and(
        eq(mpesaTillSessions.phone, phone),
        eq(checkoutSessions.status, 'open'),
        gt(checkoutSessions.expiresAt, new Date()),
        except ? ne(mpesaTillSessions.checkoutSessionId, except) : undefined,
      ),
    );
  return rows.map((r) => r.till);
}

/**
 * "Pay with Till": the customer says which phone they pay from; the session then expects a Buy
 * Goods payment of exactly its amount from it. Refused (409, nothing recorded) while another
 * payable session expects the same phone and amount: a payment could not say which it is for.
 * Safe to repeat: one row per session, a new phone replaces the old one.
 */
export async function startTillForSession(input: { sessionId: string; phone: string }): Promise<TillStarted> {
  const till = tillNumber();
  if (!till) throw new AppError('payment_method_invalid', 'This shop takes no Till payments.', { param: 'payment_method' });
  const { session } = await openSession(input.sessionId);
  assertSessionOffers(session, 'mpesa');
  const offer = mpesaOffer(session.amountTotal, session.currency);
  if (!offer.offered) throw new AppError('parameter_invalid', offer.reason, { param: 'amount' });
  const phone = normalizeMsisdn(input.phone);
  for (const other of await sessionsExpecting(phone, session.id)) {
    if (other.amountMinor === session.amountTotal && (await c2bSessionPayable(other.checkoutSessionId, true)))
      throw new AppError(
        'payment_in_progress',
        'Another checkout is already waiting for a Till payment of this amount from this phone, so M-Pesa could not tell the two apart. Pay with M-Pesa (the prompt) or Paybill instead, or pay from another phone.',
        { param: 'phone' },
      );
  }
  const now = new Date();
  await getDb()
    .insert(mpesaTillSessions)
    .values({
      checkoutSessionId: session.id,
      paymentIntentId: session.paymentIntentId,
      merchantId: session.merchantId,
      phone,
      amountMinor: session.amountTotal,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({ target: mpesaTillSessions.checkoutSessionId, set: { phone, updatedAt: now } });
  return { status: 'expecting', till_number: till, amount: session.amountTotal, currency: 'kes', phone: maskPhone(phone) };
}

/** Which sessions a till payment from `msisdn` of `amountMinor` could be for, of those still payable. */
async function matchTillPayment(
  msisdn: string,
  amountMinor: number | null,
  orOnlyInFlight: boolean,
): Promise<{ match: TillMatch; session?: MpesaTillSession }> {
  let phone: string;
  try {
    phone = normalizeMsisdn(msisdn);
  } catch {
    return { match: { kind: 'bad_msisdn' } };
  }
  const payable: MpesaTillSession[] = [];
  for (const row of await sessionsExpecting(phone))
    if (await c2bSessionPayable(row.checkoutSessionId, orOnlyInFlight)) payable.push(row);
  if (payable.length === 0) return { match: { kind: 'none_for_phone' } };
  const same = payable.filter((r) => r.amountMinor === amountMinor);
  if (same.length === 0) return { match: { kind: 'other_amount' } };
  if (same.length > 1) return { match: { kind: 'ambiguous' } };
  return { match: { kind: 'one', payable: true }, session: same[0]! };
}

/**
 * Daraja's validation request for a till payment. Accepting records the session the receipt is
 * for (validatedTransId), so its confirmation pays exactly that session; nothing else changes.
 */
export async function validateTillPayment(body: C2bBody): Promise<C2bValidationAnswer> {
  const { match, session } = await matchTillPayment(body.MSISDN, centsFromDaraja(body.TransAmount), false);
  const answer = tillValidationAnswer(body, match);
  if (answer.ResultCode === '0' && session) {
    await getDb()
      .update(mpesaTillSessions)
      .set({ validatedTransId: body.TransID, updatedAt: new Date() })
      .where(eq(mpesaTillSessions.checkoutSessionId, session.checkoutSessionId));
  }
  return answer;
}

const targetOf = (row: MpesaTillSession): C2bTarget => ({
  checkoutSessionId: row.checkoutSessionId,
  paymentIntentId: row.paymentIntentId,
  merchantId: row.merchantId,
  amountMinor: row.amountMinor,
});

/** The session validation accepted this receipt for, if it did. */
export async function tillSessionValidatedFor(transId: string): Promise<C2bTarget | undefined> {
  const [row] = await getDb().select().from(mpesaTillSessions).where(eq(mpesaTillSessions.validatedTransId, transId));
  return row ? targetOf(row) : undefined;
}

/**
 * The session a verified till receipt pays: the one validation accepted it for; without a
 * validation (Daraja's validation is optional, and falls back to ResponseType when we do not
 * answer), the one payable session expecting its payer and amount. Otherwise a reason, and the
 * receipt is given back like an unknown Paybill account.
 */
export async function tillTargetFor(c2b: {
  transId: string;
  msisdn: string;
  amountMinor: number;
}): Promise<C2bTarget | { unmatched: string }> {
  const validated = await tillSessionValidatedFor(c2b.transId);
  if (validated) return validated;
  const { match, session } = await matchTillPayment(c2b.msisdn, c2b.amountMinor, true);
  if (session) return targetOf(session);
  const reasons: Record<TillMatch['kind'], string> = {
    bad_msisdn: `payer number ${c2b.msisdn} is not an MSISDN`,
    none_for_phone: 'no open checkout expects a Till payment from this phone',
    other_amount: 'no open checkout expects a Till payment of this amount from this phone',
    ambiguous: 'several open checkouts expect this phone and amount: it cannot be told which one it pays',
    one: 'the checkout session is no longer open',
  };
  return { unmatched: reasons[match.kind] };
}

/**
 * With STK pushes to the till (CustomerBuyGoodsOnline), Daraja may list an STK receipt as a Buy
 * Goods one. A receipt that could be one whose STK callback was lost (same phone and amount as a
 * recent push that has no receipt yet) is left to the STK resolution and reconciliation, never
 * given back from here: reversing a paid STK push would undo a sale.
 */
export async function mayBeUnrecordedStkReceipt(m: PullTransaction, now = new Date()): Promise<boolean> {
  if (env().DARAJA_STK_TRANSACTION_TYPE !== 'CustomerBuyGoodsOnline') return false;
  let phone: string;
  try {
    phone = normalizeMsisdn(m.msisdn);
  } catch {
    return false;
  }
  const [row] = await getDb()
    .select({ attemptId: mpesaPayments.attemptId })
    .from(mpesaPayments)
    .where(
      and(
        eq(mpesaPayments.phone, phone),
        eq(mpesaPayments.amountMinor, m.amountMinor),
        isNotNull(mpesaPayments.checkoutRequestId),
        isNull(mpesaPayments.receiptNumber),
        gt(mpesaPayments.createdAt, new Date(now.getTime() - 48 * 3_600_000)),
      ),
    )
    .limit(1);
  return Boolean(row);
}
