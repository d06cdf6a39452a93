import { and, asc, eq, lt } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { checkoutSessions, paymentAttempts, paymentIntents } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { PspError } from '@/lib/psp/types';
import { failOpenAttempt, isOpenAttempt, type AttemptOutcome } from './apply-psp-result';
import { cancelPaymentIntent } from './cancel-capture';
import { resolveAttempt } from './confirm';

export type PendingKind = 'requires_action' | 'processing';

/** The outbox events that start a payment's resolution (resolve-pending-payment's triggers), which waits for its callback. */
export const RESOLUTION_TRIGGERS = [{ event: 'payment_intent.requires_action' }, { event: 'payment_intent.processing' }] as const;

/**
 * How long a payment may stay unresolved. A customer in 3-D Secure gets time to finish; a
 * payment the PSP is processing is queried with backoff until the deadline. Env overrides exist
 * for operators and for tests.
 */
export function resolutionPolicy(kind: PendingKind) {
  const e = env();
  return kind === 'requires_action'
    ? {
        callbackTimeoutMs: e.PAYMENT_CALLBACK_TIMEOUT_MS ?? 10 * 60_000,
        deadlineMs: e.PAYMENT_RESOLUTION_DEADLINE_MS ?? 30 * 60_000,
        backoffBaseMs: e.PAYMENT_QUERY_BACKOFF_MS ?? 60_000,
        backoffMaxMs: 10 * 60_000,
      }
    : {
        // an M-Pesa prompt may be answered until its lifetime ends: ask Daraja only after that
        callbackTimeoutMs: e.PAYMENT_CALLBACK_TIMEOUT_MS ?? Math.max(2 * 60_000, e.DARAJA_STK_PROMPT_LIFETIME_MS + 30_000),
        deadlineMs: e.PAYMENT_RESOLUTION_DEADLINE_MS ?? 60 * 60_000,
        backoffBaseMs: e.PAYMENT_QUERY_BACKOFF_MS ?? 30_000,
        backoffMaxMs: 10 * 60_000,
      };
}

/** Exponential backoff (base * 2^n), capped. */
export function queryBackoffMs(kind: PendingKind, queryNumber: number): number {
  const p = resolutionPolicy(kind);
  return Math.min(p.backoffBaseMs * 2 ** queryNumber, p.backoffMaxMs);
}

/**
 * Asks the PSP about an open attempt and applies the answer. Returns the attempt's status, or
 * "psp_unreachable" when the PSP could not be asked (the caller backs off and asks again).
 */
export async function queryAttempt(attemptId: string): Promise<string> {
  try {
    return (await resolveAttempt(attemptId)).attempt.status;
  } catch (err) {
    if (err instanceof PspError) return 'psp_unreachable';
    throw err;
  }
}

/** Why an attempt was given up: the customer left 3-D Secure, or the PSP never confirmed (in the method's words). */
function abandonReason(kind: PendingKind, unresolved: string): { code: string; message: string } {
  return kind === 'requires_action'
    ? { code: 'authentication_abandoned', message: 'The customer did not complete 3-D Secure authentication in time.' }
    : { code: 'psp_unresolved', message: unresolved };
}

/**
 * The deadline passed. First make sure the PSP will not complete it later: cancel it there
 * (a canceled authorization can no longer be captured). If the PSP says it already completed,
 * apply that instead. Only then fail the attempt, with a clear reason. A method that cannot
 * cancel (M-Pesa) is asked once more instead, and a final answer applied.
 */
export async function abandonAttempt(attemptId: string, kind: PendingKind): Promise<AttemptOutcome> {
  const db = getDb();
  const [attempt] = await db.select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId));
  if (!attempt) throw new AppError('resource_missing', `No such payment attempt: '${attemptId}'`);
  const adapter = getPaymentMethodAdapter(attempt.psp);
  if (!adapter.capabilities.cancel) {
    const last = await askOnceMore(attemptId);
    if (last) return last;
    return failOpenAttempt(attemptId, `${adapter.name}_unresolved`, adapter.wording.unresolved);
  }
  let pspMayStillComplete = false;
  if (attempt.pspReference) {
    try {
      await adapter.cancel(attempt.pspReference, `${attempt.id}:cancel`);
    } catch (err) {
      if (!(err instanceof PspError)) throw err;
      // The PSP refused (it completed after all) or could not be reached: ask once more.
      const latest = await queryAttempt(attemptId);
      if (latest !== 'pending' && latest !== 'requires_action' && latest !== 'psp_unreachable') {
        return resolveAttempt(attemptId);
      }
      // Nobody could tell the PSP to stop: it may still complete, so the attempt stays owed.
      pspMayStillComplete = true;
    }
  }
  const reason = abandonReason(kind, adapter.wording.unresolved);
  return failOpenAttempt(attemptId, reason.code, reason.message, { pspMayStillComplete });
}

/** One last query; the outcome when the PSP gave a final answer, null when it is still open or unreachable. */
async function askOnceMore(attemptId: string): Promise<AttemptOutcome | null> {
  try {
    const outcome = await resolveAttempt(attemptId);
    return isOpenAttempt(outcome.attempt) ? null : outcome;
  } catch (err) {
    if (!(err instanceof PspError)) throw err;
    return null;
  }
}

/** Open checkout sessions past their expiry (oldest first). */
export async function findExpiredCheckoutSessions(limit = 100): Promise<string[]> {
  const rows = await getDb()
    .select({ id: checkoutSessions.id })
    .from(checkoutSessions)
    .where(and(eq(checkoutSessions.status, 'open'), lt(checkoutSessions.expiresAt, new Date())))
    .orderBy(asc(checkoutSessions.expiresAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/**
 * Expires an abandoned session by canceling its intent (which marks the session expired). An
 * intent the PSP is still processing is left alone until it resolves. Safe to repeat: a session
 * that is no longer open is skipped.
 */
export async function expireCheckoutSession(sessionId: string): Promise<'expired' | 'skipped'> {
  const db = getDb();
  const [row] = await db
    .select({ session: checkoutSessions, pi: paymentIntents })
    .from(checkoutSessions)
    .innerJoin(paymentIntents, eq(paymentIntents.id, checkoutSessions.paymentIntentId))
    .where(eq(checkoutSessions.id, sessionId));
  if (!row || row.session.status !== 'open' || row.session.expiresAt > new Date()) return 'skipped';
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(row.pi.status)) return 'skipped';
  try {
    await cancelPaymentIntent(row.session.merchantId, row.pi.id, 'abandoned');
    return 'expired';
  } catch (err) {
    if (err instanceof AppError && (err.code === 'payment_in_progress' || err.code === 'payment_intent_unexpected_state'))
      return 'skipped';
    throw err;
  }
}
