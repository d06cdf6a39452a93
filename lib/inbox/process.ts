import { and, eq, or } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts, refunds, type AttemptStatus, type PaymentAttempt } from '@/db/schema';
import { applyRefundOutcome } from '@/lib/refunds';
import { env } from '@/lib/env';
import { applyPspPayment } from '@/lib/payments/apply-psp-result';
import { MPESA_PSP } from '@/lib/psp/daraja';
import {
  parseSandboxCallback,
  parseSandboxRefundCallback,
  SANDBOX_PSP,
  sandboxCallbackType,
  type SandboxCallback,
} from '@/lib/psp/sandbox-callbacks';
import { decideCallbackAction, type CallbackAction } from './callback-rule';
import { processMpesaCallback, type MpesaCallbackOutcome } from './mpesa';
import { processStripeEvent, type StripeEventOutcome } from './stripe';
import { STRIPE_PSP } from '@/lib/psp/stripe/constants';
import { countProcessingAttempt, findStaleInboxMessages, loadInboxMessage, markInboxProcessed, recordInboxError } from './store';

/** Reads a stored callback body into the PSP payment it reports, per PSP. */
const CALLBACK_PARSERS: Record<string, (rawBody: string) => SandboxCallback> = {
  [SANDBOX_PSP]: parseSandboxCallback,
};

export type InboxOutcome = CallbackAction | MpesaCallbackOutcome | StripeEventOutcome | 'already_processed' | 'unknown_payment';

export interface ProcessedInboxMessage {
  inboxId: string;
  outcome: InboxOutcome;
  /** Set when the callback belongs to one of our attempts: its state after processing. */
  attempt?: { paymentIntentId: string; attemptId: string; status: AttemptStatus };
}

/** By PSP reference; before the synchronous answer stored one, by the Idempotency-Key we sent. */
async function findAttemptFor(psp: string, callback: SandboxCallback): Promise<PaymentAttempt | undefined> {
  const db = getDb();
  const [byReference] = await db
    .select()
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.psp, psp), eq(paymentAttempts.pspReference, callback.payment.pspReference)));
  if (byReference || !callback.idempotencyKey) return byReference;
  const [byKey] = await db
    .select()
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.psp, psp), eq(paymentAttempts.pspIdempotencyKey, callback.idempotencyKey)));
  return byKey;
}

function summary(attempt: PaymentAttempt): NonNullable<ProcessedInboxMessage['attempt']> {
  return { paymentIntentId: attempt.paymentIntentId, attemptId: attempt.id, status: attempt.status };
}

/**
 * A refund's outcome, found by PSP reference or (before the synchronous answer stored one) by the
 * Idempotency-Key we sent. applyRefundOutcome only moves a pending refund, so repeats are no-ops.
 */
async function applyRefundCallback(rawBody: string): Promise<Omit<ProcessedInboxMessage, 'inboxId'>> {
  const callback = parseSandboxRefundCallback(rawBody);
  const db = getDb();
  const [refund] = await db
    .select()
    .from(refunds)
    .where(
      callback.idempotencyKey
        ? or(eq(refunds.pspReference, callback.refund.pspReference), eq(refunds.pspIdempotencyKey, callback.idempotencyKey))
        : eq(refunds.pspReference, callback.refund.pspReference),
    );
  if (!refund) return { outcome: 'unknown_payment' };
  if (refund.status !== 'pending' || callback.refund.status === 'pending') return { outcome: 'stale' };
  await applyRefundOutcome(refund.id, callback.refund);
  return { outcome: 'apply' };
}

async function applyCallback(psp: string, rawBody: string): Promise<Omit<ProcessedInboxMessage, 'inboxId'>> {
  if (psp === MPESA_PSP) return processMpesaCallback(rawBody);
  if (psp === STRIPE_PSP) return processStripeEvent(rawBody);
  if (psp === SANDBOX_PSP && sandboxCallbackType(rawBody) === 'refund.updated') return applyRefundCallback(rawBody);
  const parse = CALLBACK_PARSERS[psp];
  if (!parse) throw new Error(`no callback parser for PSP ${psp}`);
  const callback = parse(rawBody);
  const attempt = await findAttemptFor(psp, callback);
  if (!attempt) return { outcome: 'unknown_payment' };
  const action = decideCallbackAction(attempt.status, callback.payment.status);
  if (action !== 'apply') return { outcome: action, attempt: summary(attempt) };
  // applyPspPayment re-checks under the intent's row lock, so a racing confirm or poll wins or loses cleanly
  const applied = await applyPspPayment(attempt.id, callback.payment, env().APP_URL);
  return { outcome: 'apply', attempt: summary(applied.attempt) };
}

/**
 * Applies one stored callback through the payment state machine and marks it processed.
 * Safe to run twice: applyPspPayment only moves an attempt out of pending/requires_action once,
 * the rule above never lets an older status move anything back, and the processed mark is set
 * once (a crash between the effect and the mark repeats a no-op).
 */
export async function processInboxMessage(inboxId: string): Promise<ProcessedInboxMessage> {
  const message = await loadInboxMessage(inboxId);
  if (message.processedAt) return { inboxId, outcome: 'already_processed' };
  await countProcessingAttempt(inboxId);
  try {
    const result = await applyCallback(message.psp, message.rawBody);
    await markInboxProcessed(inboxId, result.outcome);
    return { inboxId, ...result };
  } catch (err) {
    await recordInboxError(inboxId, err).catch(() => undefined);
    throw err;
  }
}

export interface InboxSweepOptions {
  /** Leave younger rows to the event their route sent. */
  olderThanMs?: number;
  /** Rows that failed this often are left for an operator (process_error says why). */
  maxAttempts?: number;
  limit?: number;
}

/**
 * Processes callbacks whose event never arrived (e.g. the engine was down when the route tried
 * to send it). Safe to run beside the event-driven path: processing is idempotent. One failing
 * row does not stop the others; its error is recorded on the row.
 */
export async function processUnprocessedInbox(options: InboxSweepOptions = {}): Promise<ProcessedInboxMessage[]> {
  const ids = await findStaleInboxMessages(options.olderThanMs ?? 60_000, options.maxAttempts ?? 10, options.limit ?? 100);
  const results: ProcessedInboxMessage[] = [];
  for (const id of ids) {
    try {
      results.push(await processInboxMessage(id));
    } catch (err) {
      console.error(`[inbox] processing ${id} failed:`, err instanceof Error ? err.message : err);
    }
  }
  return results;
}
