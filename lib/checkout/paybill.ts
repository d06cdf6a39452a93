import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { mpesaC2bPayments } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { applyPspPayment } from '@/lib/payments/apply-psp-result';
import { beginAttempt } from '@/lib/payments/begin-attempt';
import { CONFIRMABLE_STATUSES } from '@/lib/payments/state-machine';
import {
  darajaC2bUrls,
  ensureC2bRegistered,
  findPaybillAccount,
  getDaraja,
  isPaybillReceipt,
  MPESA_PSP,
  normalizeAccountNumber,
  normalizeMsisdn,
  parseC2bBody,
  paybillAccountFor,
  pullMovements,
  recordedTransIds,
  validationAnswer,
  type C2bValidationAnswer,
} from '@/lib/psp/daraja';
import { recordQueryResult } from '@/lib/psp/daraja/store';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { mpesaOffer } from './mpesa';
import { findSessionForCustomer } from './sessions';

/**
 * Pay with Paybill on the pay page: the customer pays from the phone's menu (Lipa na M-PESA >
 * Pay Bill) to our business number with the session's own account number. Daraja asks our
 * ValidationURL first (unknown account or wrong amount: rejected, nothing moves), then POSTs the
 * confirmation; the session is paid only once Pull Transactions (Daraja's record of the
 * shortcode) shows the receipt, and a confirmation that never arrives is found by the same query
 * (reconcilePaybillByPull, a cron). The payment goes through the same attempt and state machine
 * as an STK push (beginAttempt, applyPspPayment).
 */

export interface PaybillInstructions {
  businessNumber: string;
  accountNumber: string;
}

/** What the pay page shows for Paybill; null when M-Pesa is not offered for the session. */
export async function paybillForSession(sessionId: string): Promise<PaybillInstructions | null> {
  const row = await findSessionForCustomer(sessionId);
  if (!row || row.session.status !== 'open' || !mpesaOffer(row.session.amountTotal, row.session.currency).offered) return null;
  // Our URLs must be registered before anyone pays to the number (idempotent; once per process):
  // without them nobody would validate the account, so Paybill is not offered.
  try {
    await ensureC2bRegistered(getDaraja(), darajaC2bUrls());
  } catch (err) {
    console.error('[mpesa] C2B URL registration failed; Paybill not offered:', err instanceof Error ? err.message : err);
    return null;
  }
  const account = await paybillAccountFor(row.session);
  return { businessNumber: env().DARAJA_SHORTCODE, accountNumber: account.accountNumber };
}

/** The session behind an account number can still be paid (open, not expired, intent confirmable). */
async function payable(checkoutSessionId: string): Promise<boolean> {
  const row = await findSessionForCustomer(checkoutSessionId);
  return Boolean(row && row.session.status === 'open' && row.session.expiresAt > new Date() && CONFIRMABLE_STATUSES.includes(row.pi.status));
}

/** Daraja's validation request. Changes nothing: the answer decides whether M-Pesa takes the money. */
export async function validatePaybillPayment(rawBody: string): Promise<C2bValidationAnswer> {
  const body = parseC2bBody(rawBody);
  const account = await findPaybillAccount(body.BillRefNumber);
  return validationAnswer(body, account, account ? await payable(account.checkoutSessionId) : false);
}

export interface VerifiedC2b {
  transId: string;
  accountNumber: string;
  amountMinor: number;
  msisdn: string;
}

export type PaybillApplyOutcome = 'applied' | 'unmatched' | 'duplicate';

/**
 * Applies a C2B payment Pull Transactions has shown: pays its session, once per receipt. Safe to
 * run twice or concurrently (confirmation and sweep): the receipt's row is claimed first (primary
 * key), and only the claimer goes on. A payment that cannot pay its session (unknown account,
 * other amount, the session already paid or expired) is kept as unmatched for an operator.
 */
export async function applyVerifiedPaybillPayment(c2b: VerifiedC2b, source: 'confirmation' | 'pull'): Promise<PaybillApplyOutcome> {
  const db = getDb();
  const [claimed] = await db
    .insert(mpesaC2bPayments)
    .values({ transId: c2b.transId, accountNumber: normalizeAccountNumber(c2b.accountNumber), amountMinor: c2b.amountMinor, msisdn: c2b.msisdn, source, status: 'unmatched', note: 'being applied' })
    .onConflictDoNothing()
    .returning();
  if (!claimed) return 'duplicate';
  const unmatched = async (note: string) => {
    console.warn(`[mpesa] Paybill receipt ${c2b.transId} not applied: ${note}`);
    await db.update(mpesaC2bPayments).set({ note }).where(eq(mpesaC2bPayments.transId, c2b.transId));
    return 'unmatched' as const;
  };
  const account = await findPaybillAccount(c2b.accountNumber);
  if (!account) return unmatched('unknown account number');
  if (account.amountMinor !== c2b.amountMinor) return unmatched(`amount ${c2b.amountMinor} is not the session's ${account.amountMinor}`);
  const adapter = getPaymentMethodAdapter(MPESA_PSP);
  let phone: string;
  try {
    phone = normalizeMsisdn(c2b.msisdn);
  } catch {
    return unmatched(`payer number ${c2b.msisdn} is not an MSISDN`);
  }
  let attemptId: string;
  try {
    const attempt = await beginAttempt(
      { merchantId: account.merchantId, paymentIntentId: account.paymentIntentId, customerIp: null },
      adapter,
      { type: 'mpesa', reference: phone, phone, riskLevel: null },
      'paybill',
    );
    attemptId = attempt.id;
  } catch (err) {
    if (err instanceof AppError) return unmatched(`the session could not take it (${err.code}: ${err.message})`);
    throw err;
  }
  await recordQueryResult(attemptId, { resultCode: 0, resultDesc: 'Paybill payment verified by Pull Transactions', receiptNumber: c2b.transId });
  await db.update(mpesaC2bPayments).set({ status: 'applied', attemptId, note: null }).where(eq(mpesaC2bPayments.transId, c2b.transId));
  await applyPspPayment(attemptId, { pspReference: c2b.transId, status: 'captured', amount: c2b.amountMinor, amountCaptured: c2b.amountMinor, currency: 'kes' }, env().APP_URL);
  return 'applied';
}

/**
 * The safety net for lost confirmations: every Paybill receipt Pull Transactions shows for the
 * last day that paykit has not recorded is applied now. Safe to run any time (a read, then the
 * once-per-receipt apply); re-registers the URLs too (idempotent).
 */
export async function reconcilePaybillByPull(now = new Date()): Promise<Record<PaybillApplyOutcome, number>> {
  const client = getDaraja();
  await ensureC2bRegistered(client, darajaC2bUrls(), true);
  const movements = (await pullMovements(client, new Date(now.getTime() - 24 * 3_600_000), new Date(now.getTime() + 60_000))).filter(isPaybillReceipt);
  const known = await recordedTransIds(movements.map((m) => m.transactionId));
  const counts: Record<PaybillApplyOutcome, number> = { applied: 0, unmatched: 0, duplicate: 0 };
  for (const m of movements) {
    if (known.has(m.transactionId)) continue;
    counts[await applyVerifiedPaybillPayment({ transId: m.transactionId, accountNumber: m.billReference, amountMinor: m.amountMinor, msisdn: m.msisdn }, 'pull')]++;
  }
  return counts;
}

/**
 * At app start (instrumentation.ts): registers our C2B URLs and Pull Transactions in the
 * background, retrying while the app (which may serve the offline Daraja itself) comes up.
 * Idempotent at Daraja; never throws into the server (timers are unref'd).
 */
export function registerPaybillUrlsAtStart(delaysMs: readonly number[] = [3_000, 10_000, 30_000, 120_000]): void {
  const tryAt = (i: number) => {
    const timer = setTimeout(() => {
      Promise.resolve()
        .then(() => ensureC2bRegistered(getDaraja(), darajaC2bUrls(), true))
        .then(() => console.log('[mpesa] C2B and Pull Transactions URLs registered'))
        .catch((err: unknown) => {
          if (i + 1 < delaysMs.length) tryAt(i + 1);
          else console.warn('[mpesa] C2B URL registration failed (the Paybill cron retries):', err instanceof Error ? err.message : err);
        });
    }, delaysMs[i]);
    timer.unref?.();
  };
  tryAt(0);
}
