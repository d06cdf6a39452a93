import { randomUUID } from 'node:crypto';
import { and, eq, isNull, or } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { mpesaRefunds, type MpesaRefund } from '@/db/schema';
import { env } from '@/lib/env';
import { PspError, type PspRefund } from '@/lib/psp/types';
import { DarajaError, type DarajaClient } from './client';
import { darajaInitiator } from './credential';
import { centsFromDaraja, type ResultUrls } from './org-client';
import { findC2bPayment, pullMovements } from './paybill';
import { refundFailureReason, type DarajaResult } from './results';
import { findMpesaByCheckoutRequestId, findMpesaByReceipt } from './store';

/**
 * M-Pesa refunds behind the adapter's `refund`: a full refund reverses the payment's receipt
 * (Reversal), a partial one pays the payer back by B2C BusinessPayment. Both are asynchronous:
 * the refund stays pending until Daraja's Result, confirmed by a Transaction Status query,
 * decides it. Every call is safe to repeat (the retry sweep calls `refund` again):
 * - the mpesa_refunds row is written before anything is sent, keyed by the refund's key;
 * - B2C carries its own OriginatorConversationID, which Daraja pays once;
 * - an acknowledged request is never sent again: Transaction Status is asked instead;
 * - a reversal whose acknowledgement was lost is sent again: M-Pesa reverses a receipt once, and
 *   the repeat's R000001 ("already reversed") is settled only by finding the reversal itself in
 *   Daraja's record of the shortcode, with its receipt (settleAlreadyReversed), never on the code alone.
 */

export interface DarajaRefundDeps {
  client: () => DarajaClient;
  resultUrls: () => ResultUrls;
}

const REMARKS = 'Refund';

/** A refund by the id the adapter answered for it: the payout's receipt or our request's OriginatorConversationID. */
export async function retrieveMpesaRefund(reference: string): Promise<PspRefund> {
  const [row] = await getDb()
    .select()
    .from(mpesaRefunds)
    .where(or(eq(mpesaRefunds.receiptNumber, reference), eq(mpesaRefunds.originatorConversationId, reference)));
  if (!row) throw new PspError('rejected', `M-Pesa: no refund ${reference}`, false);
  return answer(row);
}

export async function findMpesaRefund(refundKey: string): Promise<MpesaRefund | undefined> {
  const [row] = await getDb().select().from(mpesaRefunds).where(eq(mpesaRefunds.refundKey, refundKey));
  return row;
}

async function update(refundKey: string, values: Partial<MpesaRefund>): Promise<void> {
  await getDb()
    .update(mpesaRefunds)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(mpesaRefunds.refundKey, refundKey));
}

function answer(row: MpesaRefund): PspRefund {
  return {
    // the M-Pesa receipt of the reversal or payout once there is one; before, our request's id
    pspReference: row.receiptNumber ?? row.originatorConversationId ?? '',
    paymentReference: row.attemptId ?? row.originalReceipt ?? '',
    status: row.outcome ?? 'pending',
    amount: row.amountMinor,
    currency: 'kes',
    ...(row.outcome === 'failed'
      ? { failureReason: row.failureReason ?? refundFailureReason(row.resultCode, row.resultDesc) }
      : {}),
  };
}

/** The first call records what the refund is (reversal or B2C) and its ids; later calls read it. */
async function recordRefund(paymentReference: string, amountMinor: number, refundKey: string): Promise<MpesaRefund> {
  const existing = await findMpesaRefund(refundKey);
  if (existing) return existing;
  // an STK payment is named by its CheckoutRequestID, an applied Paybill payment by its receipt
  const payment = (await findMpesaByCheckoutRequestId(paymentReference)) ?? (await findMpesaByReceipt(paymentReference));
  if (!payment) return recordPaybillReturn(paymentReference, amountMinor, refundKey);
  const { mpesa } = payment;
  // M-Pesa reverses whole receipts only; without the receipt (its callback was lost) the payer is paid back by B2C
  const kind = amountMinor === mpesa.amountMinor && mpesa.receiptNumber ? 'reversal' : 'b2c';
  await getDb()
    .insert(mpesaRefunds)
    .values({
      refundKey,
      attemptId: mpesa.attemptId,
      kind,
      amountMinor,
      phone: mpesa.phone,
      originalReceipt: kind === 'reversal' ? mpesa.receiptNumber : null,
      originatorConversationId: kind === 'b2c' ? randomUUID() : null,
    })
    .onConflictDoNothing();
  return (await findMpesaRefund(refundKey))!;
}

/**
 * The return of a verified Paybill receipt that paid nothing (its row is unmatched/returning): a
 * Reversal of the whole receipt, with no attempt behind it. Never for an applied receipt (that
 * money paid a session and is refunded like any payment, by the refund flow and its ledger).
 */
async function recordPaybillReturn(receipt: string, amountMinor: number, refundKey: string): Promise<MpesaRefund> {
  const c2b = await findC2bPayment(receipt);
  if (!c2b || !['unmatched', 'returning'].includes(c2b.status))
    throw new PspError('rejected', `M-Pesa: no payment ${receipt} to refund`, false);
  if (amountMinor !== c2b.amountMinor) throw new PspError('rejected', `M-Pesa reverses the whole receipt ${receipt} only`, false);
  await getDb()
    .insert(mpesaRefunds)
    .values({ refundKey, attemptId: null, kind: 'reversal', amountMinor, phone: c2b.msisdn, originalReceipt: c2b.transId })
    .onConflictDoNothing();
  return (await findMpesaRefund(refundKey))!;
}

/** Daraja refused the request outright (a 4xx): nothing was moved, the refund fails. */
function refusedOutright(err: unknown): err is DarajaError {
  return err instanceof DarajaError && err.definite && !err.isSpikeArrest;
}

async function sendRequest(deps: DarajaRefundDeps, row: MpesaRefund): Promise<MpesaRefund> {
  const client = deps.client();
  const initiator = await darajaInitiator(client);
  const urls = deps.resultUrls();
  const occasion = row.refundKey.slice(0, 100);
  if (row.kind === 'reversal') await update(row.refundKey, { sentAt: new Date() });
  try {
    const ack =
      row.kind === 'b2c'
        ? await client.org.b2cPayment({
            ...urls,
            initiator,
            originatorConversationId: row.originatorConversationId!,
            amount: row.amountMinor / 100,
            phone: row.phone,
            remarks: REMARKS,
            occasion,
          })
        : await client.org.reversal({
            ...urls,
            initiator,
            transactionId: row.originalReceipt!,
            amount: row.amountMinor / 100,
            remarks: REMARKS,
            occasion,
          });
    await update(row.refundKey, {
      originatorConversationId: ack.originatorConversationId,
      conversationId: ack.conversationId,
      acknowledgedAt: new Date(),
      ...(row.kind === 'b2c' ? { sentAt: row.sentAt ?? new Date() } : {}),
    });
  } catch (err) {
    if (!refusedOutright(err)) throw err;
    await update(row.refundKey, { outcome: 'failed', failureReason: `M-Pesa refused the refund request (${err.message}).` });
    throw new PspError('rejected', `M-Pesa refused the refund request (${err.message})`, false);
  }
  return (await findMpesaRefund(row.refundKey))!;
}

/**
 * Asks Transaction Status about an acknowledged request (by its OriginatorConversationID); the
 * answer arrives as a Result and is matched to the row by the query's own ids. Safe to repeat: a read.
 */
export async function askTransactionStatus(deps: DarajaRefundDeps, row: MpesaRefund): Promise<void> {
  const client = deps.client();
  const ack = await client.org.transactionStatus({
    ...deps.resultUrls(),
    initiator: await darajaInitiator(client),
    originalConversationId: row.originatorConversationId!,
    remarks: 'Refund status',
    occasion: row.refundKey.slice(0, 100),
  });
  await update(row.refundKey, {
    statusOriginatorConversationId: ack.originatorConversationId,
    statusConversationId: ack.conversationId,
    statusQueriedAt: new Date(),
  });
}

/** Daraja answered a reversal of ours with R000001: the receipt was reversed already (by our own lost request, or by hand). */
const alreadyReversed = (row: Pick<MpesaRefund, 'kind' | 'resultCode' | 'outcome'>) =>
  row.kind === 'reversal' && row.resultCode === 'R000001' && !row.outcome;

/** How far back the reversal of a receipt is looked for (Pull Transactions keeps 48 hours). */
const REVERSAL_LOOKBACK_MS = 47 * 3_600_000;

/**
 * R000001 says only that the receipt is reversed; the refund needs the reversal's own receipt and
 * amount. They are read from Daraja's record of the shortcode (Pull Transactions lists the reversal
 * with the receipt it reversed); until it shows there the refund stays pending and the retry sweep
 * looks again. Safe to repeat: a read, and the outcome is written once (outcome is null).
 */
export async function settleAlreadyReversed(deps: DarajaRefundDeps, row: MpesaRefund): Promise<MpesaRefund> {
  const now = Date.now();
  const from = new Date(Math.max(now - REVERSAL_LOOKBACK_MS, row.createdAt.getTime() - 60_000));
  const movements = await pullMovements(deps.client(), from, new Date(now + 60_000));
  const reversal = movements.find((m) => m.transactionType === 'reversal' && m.originalTransactionId === row.originalReceipt);
  if (!reversal) {
    console.warn(
      `[mpesa] refund ${row.refundKey}: M-Pesa says ${row.originalReceipt} is reversed, but its reversal is not listed yet`,
    );
    return row;
  }
  if (reversal.amountMinor !== row.amountMinor) {
    console.error(
      `[mpesa] refund ${row.refundKey}: the reversal ${reversal.transactionId} of ${row.originalReceipt} is ${reversal.amountMinor}, not ${row.amountMinor}`,
    );
    return row;
  }
  await getDb()
    .update(mpesaRefunds)
    .set({ outcome: 'succeeded', receiptNumber: reversal.transactionId, failureReason: null, updatedAt: new Date() })
    .where(and(eq(mpesaRefunds.refundKey, row.refundKey), isNull(mpesaRefunds.outcome)));
  return (await findMpesaRefund(row.refundKey))!;
}

/** The adapter's refund: send once, then (while no verified outcome exists) ask Transaction Status when the Result is late. */
export async function refundByDaraja(
  deps: DarajaRefundDeps,
  request: { paymentReference: string; amountMinor: number; refundKey: string },
): Promise<PspRefund> {
  let row = await recordRefund(request.paymentReference, request.amountMinor, request.refundKey);
  if (row.outcome) return answer(row);
  if (!row.acknowledgedAt) {
    row = await sendRequest(deps, row);
    return answer(row);
  }
  if (alreadyReversed(row)) return answer(await settleAlreadyReversed(deps, row));
  const waitMs = env().DARAJA_RESULT_WAIT_MS;
  const lastAsked = (row.statusQueriedAt ?? row.acknowledgedAt).getTime();
  if (row.queueTimedOutAt || row.resultCode !== null || Date.now() - lastAsked >= waitMs) {
    if (!row.statusQueriedAt || Date.now() - row.statusQueriedAt.getTime() >= waitMs) await askTransactionStatus(deps, row);
  }
  return answer(row);
}

export type ResultMatch =
  | { kind: 'unknown' }
  /** The request's own Result (a hint): recorded, and Transaction Status asked to confirm it. */
  | { kind: 'hint'; refundKey: string }
  /** Transaction Status answered: the verified outcome, or still pending. */
  | { kind: 'verified'; refundKey: string; refund: PspRefund | null };

async function byIds(column: 'request' | 'status', result: DarajaResult): Promise<MpesaRefund | undefined> {
  const [row] = await getDb()
    .select()
    .from(mpesaRefunds)
    .where(
      column === 'request'
        ? and(
            eq(mpesaRefunds.originatorConversationId, result.originatorConversationId),
            eq(mpesaRefunds.conversationId, result.conversationId),
          )
        : and(
            eq(mpesaRefunds.statusOriginatorConversationId, result.originatorConversationId),
            eq(mpesaRefunds.statusConversationId, result.conversationId),
          ),
    );
  return row;
}

/** What a verified Transaction Status Result says about the refund; null: nothing definite yet. */
function verifiedOutcome(
  row: MpesaRefund,
  result: DarajaResult,
): Pick<MpesaRefund, 'outcome' | 'receiptNumber' | 'failureReason'> | null {
  if (result.queueTimeout) return null;
  if (result.resultCode === '404')
    // never processed: a queue timeout of the request itself, confirmed by "not found"
    return row.queueTimedOutAt
      ? {
          outcome: 'failed',
          receiptNumber: null,
          failureReason: 'M-Pesa timed out the refund request before processing it; nothing was paid. Refund again.',
        }
      : null;
  if (result.resultCode !== '0') return null;
  const status = result.parameters.get('TransactionStatus');
  if (status === 'Completed') {
    const receipt = result.parameters.get('ReceiptNo') || result.transactionId;
    const cents = centsFromDaraja(result.parameters.get('Amount') ?? '');
    if (!receipt || cents !== row.amountMinor) {
      console.warn(`[mpesa] status of refund ${row.refundKey} does not match it (receipt ${receipt}, amount ${cents})`);
      return null;
    }
    return { outcome: 'succeeded', receiptNumber: receipt, failureReason: null };
  }
  if (status === 'Failed') {
    // R000001: the receipt is reversed already (by this refund's first, unacknowledged request): the money went back
    if (row.kind === 'reversal' && row.resultCode === 'R000001')
      return { outcome: 'succeeded', receiptNumber: null, failureReason: null };
    const code = result.parameters.get('ResultCode') || row.resultCode;
    return {
      outcome: 'failed',
      receiptNumber: null,
      failureReason: refundFailureReason(code ?? null, result.parameters.get('ReasonType') ?? row.resultDesc),
    };
  }
  return null;
}

/**
 * Matches a stored Result to a refund and acts on it. Safe to repeat: a hint is recorded once
 * (and a repeated one asks Transaction Status again, a read); an outcome is written once.
 */
export async function applyDarajaRefundResult(deps: DarajaRefundDeps, result: DarajaResult): Promise<ResultMatch> {
  const request = await byIds('request', result);
  if (request) {
    if (!request.outcome) {
      await getDb()
        .update(mpesaRefunds)
        .set(
          result.queueTimeout
            ? { queueTimedOutAt: new Date(), updatedAt: new Date() }
            : {
                resultCode: result.resultCode,
                resultDesc: result.resultDesc,
                resultTransactionId: result.transactionId,
                updatedAt: new Date(),
              },
        )
        .where(and(eq(mpesaRefunds.refundKey, request.refundKey), isNull(mpesaRefunds.outcome)));
      if (!result.queueTimeout && alreadyReversed({ kind: request.kind, resultCode: result.resultCode, outcome: null })) {
        const settled = await settleAlreadyReversed(deps, (await findMpesaRefund(request.refundKey))!);
        return { kind: 'verified', refundKey: settled.refundKey, refund: settled.outcome ? answer(settled) : null };
      }
      await askTransactionStatus(deps, request);
    }
    return { kind: 'hint', refundKey: request.refundKey };
  }
  const queried = await byIds('status', result);
  if (!queried) return { kind: 'unknown' };
  if (!queried.outcome) {
    const verified = verifiedOutcome(queried, result);
    if (verified)
      await getDb()
        .update(mpesaRefunds)
        .set({ ...verified, updatedAt: new Date() })
        .where(and(eq(mpesaRefunds.refundKey, queried.refundKey), isNull(mpesaRefunds.outcome)));
  }
  const row = (await findMpesaRefund(queried.refundKey))!;
  return { kind: 'verified', refundKey: row.refundKey, refund: row.outcome ? answer(row) : null };
}
