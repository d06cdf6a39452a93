import { and, asc, eq, gte, inArray, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { mpesaC2bPayments, mpesaPayments, paymentAttempts, type MpesaC2bPayment } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { applyPspPayment } from '@/lib/payments/apply-psp-result';
import { beginAttempt } from '@/lib/payments/begin-attempt';
import { OPEN_ATTEMPT_STATUSES } from '@/lib/payments/state-machine';
import {
  darajaC2bUrls,
  ensureC2bRegistered,
  findC2bPayment,
  findPaybillAccount,
  getDaraja,
  isPaybillReceipt,
  isTillC2b,
  isTillReceipt,
  MPESA_PSP,
  normalizeAccountNumber,
  normalizeMsisdn,
  parseC2bBody,
  paybillAccountFor,
  pullMovements,
  recordedTransIds,
  tillNumber,
  validationAnswer,
  type C2bValidationAnswer,
} from '@/lib/psp/daraja';
import { recordQueryResult } from '@/lib/psp/daraja/store';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import type { PspRefund } from '@/lib/psp/types';
import { c2bOfferedSession } from './mpesa';
import {
  c2bSessionPayable,
  mayBeUnrecordedStkReceipt,
  tillSessionValidatedFor,
  tillTargetFor,
  validateTillPayment,
  type C2bTarget,
} from './till';

/**
 * Pay with Paybill on the pay page: the customer pays from the phone's menu (Lipa na M-PESA >
 * Pay Bill) to our business number with the session's own account number. Daraja asks our
 * ValidationURL first (unknown account or wrong amount: rejected, nothing moves), then POSTs the
 * confirmation; the session is paid only once Pull Transactions (Daraja's record of the
 * shortcode) shows the receipt, and a confirmation that never arrives is found by the same query
 * (reconcilePaybillByPull, a cron). The payment goes through the same attempt and state machine
 * as an STK push (beginAttempt, applyPspPayment). Pay with Till (Buy Goods, lib/checkout/till.ts)
 * shares every step but how a receipt names its session: by payer and amount instead of an account.
 */

export interface PaybillInstructions {
  businessNumber: string;
  accountNumber: string;
}

/** What the pay page shows for Paybill; null when M-Pesa is not offered for the session. */
export async function paybillForSession(sessionId: string): Promise<PaybillInstructions | null> {
  const row = await c2bOfferedSession(sessionId, 'Paybill');
  if (!row) return null;
  const account = await paybillAccountFor(row.session);
  return { businessNumber: env().DARAJA_SHORTCODE, accountNumber: account.accountNumber };
}

const payable = c2bSessionPayable;

/** Daraja's validation request. Changes nothing: the answer decides whether M-Pesa takes the money. */
export async function validatePaybillPayment(rawBody: string): Promise<C2bValidationAnswer> {
  const body = parseC2bBody(rawBody);
  if (tillNumber() && isTillC2b(body)) return validateTillPayment(body);
  const account = await findPaybillAccount(body.BillRefNumber);
  return validationAnswer(body, account, account ? await payable(account.checkoutSessionId) : false);
}

export interface VerifiedC2b {
  /** paybill: the session is named by accountNumber; till: by the payer and the amount (accountNumber is ''). */
  kind: 'paybill' | 'till';
  transId: string;
  accountNumber: string;
  amountMinor: number;
  msisdn: string;
}

export type PaybillApplyOutcome = 'applied' | 'unmatched' | 'waiting' | 'duplicate';

/** An applier that crashed after claiming a receipt: after this its claim is taken over (cron). */
export const PAYBILL_CLAIM_LEASE_MS = 5 * 60_000;

const c2bWhere = (transId: string) => eq(mpesaC2bPayments.transId, transId);

/**
 * Claims a receipt for this applier: a new row, or a `waiting` row whose blocking attempt may have
 * ended, or an `applying` row whose claimer's lease ran out (it crashed). One conditional write
 * each, so exactly one applier holds the claim at a time.
 */
async function claimReceipt(c2b: VerifiedC2b, source: 'confirmation' | 'pull', now: Date): Promise<MpesaC2bPayment | undefined> {
  const db = getDb();
  const [fresh] = await db
    .insert(mpesaC2bPayments)
    .values({
      transId: c2b.transId,
      accountNumber: normalizeAccountNumber(c2b.accountNumber),
      amountMinor: c2b.amountMinor,
      msisdn: c2b.msisdn,
      source,
      kind: c2b.kind,
      status: 'applying',
      claimedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (fresh) return fresh;
  const [taken] = await db
    .update(mpesaC2bPayments)
    .set({ status: 'applying', claimedAt: now })
    .where(
      and(
        c2bWhere(c2b.transId),
        or(
          eq(mpesaC2bPayments.status, 'waiting'),
          and(
            eq(mpesaC2bPayments.status, 'applying'),
            lt(mpesaC2bPayments.claimedAt, new Date(now.getTime() - PAYBILL_CLAIM_LEASE_MS)),
          ),
        ),
      ),
    )
    .returning();
  return taken;
}

/**
 * The attempt a crashed applier of this receipt already began, if any: the intent's Paybill
 * attempt for this payer and amount that carries this receipt or no receipt yet. Only this
 * function begins Paybill attempts, and the unique index on mpesa_c2b_payments.attempt_id stops
 * two receipts from sharing one.
 */
async function attemptBegunFor(c2b: MpesaC2bPayment, paymentIntentId: string, phone: string): Promise<string | undefined> {
  if (c2b.attemptId) return c2b.attemptId;
  const [row] = await getDb()
    .select({ id: paymentAttempts.id })
    .from(paymentAttempts)
    .innerJoin(mpesaPayments, eq(mpesaPayments.attemptId, paymentAttempts.id))
    .where(
      and(
        eq(paymentAttempts.paymentIntentId, paymentIntentId),
        inArray(paymentAttempts.routingReason, ['paybill', 'till']),
        eq(mpesaPayments.phone, phone),
        eq(mpesaPayments.amountMinor, c2b.amountMinor),
        gte(paymentAttempts.createdAt, c2b.createdAt),
        // a receipt-less attempt only while still open (a risk-blocked one failed and paid nothing)
        or(
          eq(mpesaPayments.receiptNumber, c2b.transId),
          and(isNull(mpesaPayments.receiptNumber), inArray(paymentAttempts.status, [...OPEN_ATTEMPT_STATUSES])),
        ),
        notExists(
          getDb()
            .select({ one: sql`1` })
            .from(mpesaC2bPayments)
            .where(eq(mpesaC2bPayments.attemptId, paymentAttempts.id)),
        ),
      ),
    )
    .orderBy(asc(paymentAttempts.createdAt))
    .limit(1);
  return row?.id;
}

/**
 * Applies a C2B payment Pull Transactions has shown: pays its session, once per receipt. Safe to
 * run twice or concurrently (confirmation, Pull sweep, a takeover after a crash): only the holder
 * of the receipt's claim goes on (claimReceipt), a takeover adopts the attempt the crashed applier
 * began instead of beginning a second (attemptBegunFor), and applyPspPayment moves an attempt once.
 * A payment that cannot pay its session (unknown account, other amount, the session paid, expired
 * or blocked by the risk rules) is given back to the payer by Reversal (returnPaybillPayment); one
 * that met another attempt in flight waits for it to end and is tried again by the cron.
 */
export async function applyVerifiedPaybillPayment(
  c2b: VerifiedC2b,
  source: 'confirmation' | 'pull',
  now = new Date(),
): Promise<PaybillApplyOutcome> {
  const db = getDb();
  const claimed = await claimReceipt(c2b, source, now);
  if (!claimed) return 'duplicate';
  const unmatched = async (note: string) => {
    console.warn(`[mpesa] Paybill receipt ${c2b.transId} cannot pay its session, giving it back: ${note}`);
    await db
      .update(mpesaC2bPayments)
      .set({ status: 'unmatched', note })
      .where(and(c2bWhere(c2b.transId), eq(mpesaC2bPayments.status, 'applying')));
    try {
      await returnPaybillPayment(c2b.transId);
    } catch (err) {
      // the row stays unmatched: the Paybill cron sends the reversal again (exactly once, see there)
      console.warn(`[mpesa] reversal of ${c2b.transId} not sent yet:`, err instanceof Error ? err.message : err);
    }
    return 'unmatched' as const;
  };
  const account = await c2bTargetFor(c2b);
  if ('unmatched' in account) return unmatched(account.unmatched);
  if (account.amountMinor !== c2b.amountMinor)
    return unmatched(`amount ${c2b.amountMinor} is not the session's ${account.amountMinor}`);
  const adapter = getPaymentMethodAdapter(MPESA_PSP);
  let phone: string;
  try {
    phone = normalizeMsisdn(c2b.msisdn);
  } catch {
    return unmatched(`payer number ${c2b.msisdn} is not an MSISDN`);
  }
  let attemptId = await attemptBegunFor(claimed, account.paymentIntentId, phone);
  // an expired session may not be canceled yet (the expiry cron): it takes no money either way
  if (!attemptId && !(await payable(account.checkoutSessionId, true))) return unmatched('the checkout session is no longer open');
  if (!attemptId) {
    try {
      const attempt = await beginAttempt(
        { merchantId: account.merchantId, paymentIntentId: account.paymentIntentId, customerIp: null },
        adapter,
        { type: 'mpesa', reference: phone, phone, riskLevel: null },
        c2b.kind,
      );
      attemptId = attempt.id;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // an intent with an attempt in flight is `processing` (refused as not confirmable) or still
      // confirmable with the attempt open (payment_in_progress): both may become payable again
      const inFlight = err.code === 'payment_in_progress' || err.code === 'payment_intent_unexpected_state';
      if (inFlight && (await payable(account.checkoutSessionId, true))) {
        // an STK push (or another receipt) is open on the intent: if it fails, this receipt pays the
        // session; if it succeeds, the session is no longer payable and the next try gives this back
        await db
          .update(mpesaC2bPayments)
          .set({ status: 'waiting', note: err.message })
          .where(and(c2bWhere(c2b.transId), eq(mpesaC2bPayments.status, 'applying')));
        return 'waiting';
      }
      return unmatched(`the session could not take it (${err.code}: ${err.message})`);
    }
  }
  // the attempt is tied to the receipt before it moves: a takeover finds it here
  await db.update(mpesaC2bPayments).set({ attemptId }).where(c2bWhere(c2b.transId));
  await recordQueryResult(attemptId, {
    resultCode: 0,
    resultDesc: `${c2b.kind === 'till' ? 'Till' : 'Paybill'} payment verified by Pull Transactions`,
    receiptNumber: c2b.transId,
  });
  await applyPspPayment(
    attemptId,
    { pspReference: c2b.transId, status: 'captured', amount: c2b.amountMinor, amountCaptured: c2b.amountMinor, currency: 'kes' },
    env().APP_URL,
  );
  await db.update(mpesaC2bPayments).set({ status: 'applied', note: null }).where(c2bWhere(c2b.transId));
  return 'applied';
}

/** The session a verified receipt names: by its account number (Paybill), or by payer and amount (Till). */
async function c2bTargetFor(c2b: VerifiedC2b): Promise<C2bTarget | { unmatched: string }> {
  if (c2b.kind === 'till') return tillTargetFor(c2b);
  return (await findPaybillAccount(c2b.accountNumber)) ?? { unmatched: 'unknown account number' };
}

/** The deterministic key of a receipt's return: the adapter's refund idempotency for it. */
export const paybillReturnKey = (transId: string) => `c2b_return_${transId}`;

export type PaybillReturnOutcome = 'returning' | 'returned' | 'return_failed' | 'not_returnable';

/**
 * Gives an unappliable Paybill receipt back to the payer: a Reversal of the whole receipt through
 * the M-Pesa adapter's refund. Safe to run twice or concurrently: the adapter's refund is keyed by
 * paybillReturnKey (one mpesa_refunds row per receipt, written before anything is sent), an
 * acknowledged reversal is never sent again (Transaction Status is asked instead), and M-Pesa
 * itself reverses a receipt once (R000001). Ledger-neutral: an unapplied receipt was never booked.
 */
export async function returnPaybillPayment(transId: string): Promise<PaybillReturnOutcome> {
  const db = getDb();
  const [row] = await db
    .update(mpesaC2bPayments)
    .set({ status: 'returning' })
    .where(and(c2bWhere(transId), inArray(mpesaC2bPayments.status, ['unmatched', 'returning'])))
    .returning();
  if (!row) return 'not_returnable';
  const refund = await getPaymentMethodAdapter(MPESA_PSP).refund(transId, row.amountMinor, paybillReturnKey(transId));
  if (refund.status === 'pending') return 'returning';
  return finishPaybillReturn(transId, refund);
}

/**
 * Records the verified outcome of a receipt's reversal, once (a conditional update from
 * `returning`), and tells the merchant whose session it was meant for in the same transaction.
 */
export async function finishPaybillReturn(transId: string, refund: PspRefund): Promise<PaybillReturnOutcome> {
  return getDb().transaction(async (tx) => {
    const succeeded = refund.status === 'succeeded';
    const [row] = await tx
      .update(mpesaC2bPayments)
      .set(
        succeeded
          ? { status: 'returned', returnReceipt: refund.pspReference, returnedAt: new Date() }
          : { status: 'return_failed', note: `M-Pesa did not reverse it: ${refund.failureReason ?? 'unknown reason'}` },
      )
      .where(and(c2bWhere(transId), eq(mpesaC2bPayments.status, 'returning')))
      .returning();
    if (!row) return (await findC2bPayment(transId))?.status === 'returned' ? 'returned' : 'return_failed';
    if (!succeeded)
      console.error(
        `[mpesa] reversal of Paybill receipt ${transId} failed; an operator must pay it back: ${refund.failureReason}`,
      );
    // a till receipt names a session only if validation accepted it for one
    const account = row.kind === 'till' ? await tillSessionValidatedFor(transId) : await findPaybillAccount(row.accountNumber);
    if (succeeded && account)
      await writeOutboxEvent(tx, {
        type: 'payment_intent.paybill_payment_returned',
        merchantId: account.merchantId,
        aggregateType: 'payment_intent',
        aggregateId: account.paymentIntentId,
        data: {
          object: {
            object: 'mpesa_paybill_payment',
            id: transId,
            payment_intent: account.paymentIntentId,
            checkout_session: account.checkoutSessionId,
            amount: row.amountMinor,
            currency: 'kes',
            status: 'returned',
            reason: row.note,
            reversal_receipt: row.returnReceipt,
          },
        },
      });
    return succeeded ? 'returned' : 'return_failed';
  });
}

/** A Daraja Result that settled a receipt's reversal (processDarajaResult): applies it; false when the key is not a return's. */
export async function applyPaybillReturnResult(refundKey: string, refund: PspRefund | null): Promise<boolean> {
  if (!refundKey.startsWith(paybillReturnKey(''))) return false;
  if (refund) await finishPaybillReturn(refundKey.slice(paybillReturnKey('').length), refund);
  return true;
}

/**
 * The cron's worklist besides Pull: receipts waiting for an attempt to end (tried again), claims a
 * crashed applier left (taken over after the lease), unmatched receipts whose reversal was not sent
 * and reversals still awaiting their outcome (the adapter's refund asks Transaction Status).
 */
export async function retryPaybillReceipts(now = new Date()): Promise<{ retried: number; returning: number }> {
  const rows = await getDb()
    .select()
    .from(mpesaC2bPayments)
    .where(
      or(
        inArray(mpesaC2bPayments.status, ['waiting', 'unmatched', 'returning']),
        and(
          eq(mpesaC2bPayments.status, 'applying'),
          lt(mpesaC2bPayments.claimedAt, new Date(now.getTime() - PAYBILL_CLAIM_LEASE_MS)),
        ),
      ),
    )
    .limit(200);
  let retried = 0;
  let returning = 0;
  for (const row of rows) {
    try {
      if (row.status === 'waiting' || row.status === 'applying') {
        await applyVerifiedPaybillPayment(
          {
            kind: row.kind,
            transId: row.transId,
            accountNumber: row.accountNumber,
            amountMinor: row.amountMinor,
            msisdn: row.msisdn,
          },
          row.source,
          now,
        );
        retried++;
      } else if ((await returnPaybillPayment(row.transId)) === 'returning') returning++;
    } catch (err) {
      console.warn(`[mpesa] Paybill receipt ${row.transId} not retried:`, err instanceof Error ? err.message : err);
    }
  }
  return { retried, returning };
}

/**
 * The safety net for lost confirmations: every Paybill receipt Pull Transactions shows for the
 * last day that paykit has not recorded is applied now. Safe to run any time (a read, then the
 * once-per-receipt apply); re-registers the URLs too (idempotent).
 */
export async function reconcilePaybillByPull(now = new Date()): Promise<Record<PaybillApplyOutcome, number>> {
  const client = getDaraja();
  await ensureC2bRegistered(client, darajaC2bUrls(), true);
  const movements = (
    await pullMovements(client, new Date(now.getTime() - 24 * 3_600_000), new Date(now.getTime() + 60_000))
  ).filter((m) => isPaybillReceipt(m) || (tillNumber() !== null && isTillReceipt(m)));
  const known = await recordedTransIds(movements.map((m) => m.transactionId));
  const counts: Record<PaybillApplyOutcome, number> = { applied: 0, unmatched: 0, waiting: 0, duplicate: 0 };
  for (const m of movements) {
    if (known.has(m.transactionId)) continue;
    const kind = isTillReceipt(m) ? 'till' : 'paybill';
    if (kind === 'till' && (await mayBeUnrecordedStkReceipt(m, now))) continue;
    counts[
      await applyVerifiedPaybillPayment(
        { kind, transId: m.transactionId, accountNumber: m.billReference, amountMinor: m.amountMinor, msisdn: m.msisdn },
        'pull',
      )
    ]++;
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
          else
            console.warn(
              '[mpesa] C2B URL registration failed (the Paybill cron retries):',
              err instanceof Error ? err.message : err,
            );
        });
    }, delaysMs[i]);
    timer.unref?.();
  };
  tryAt(0);
}
