import { and, eq, inArray, notExists, or, sql, type SQL } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { outboxEvents, paymentAttempts, refunds, type AttemptStatus, type PaymentAttempt } from '@/db/schema';
import { MPESA_PSP } from '@/lib/psp/daraja';
import { isOpenAttempt } from '@/lib/payments/apply-psp-result';
import { RESOLUTION_TRIGGERS } from '@/lib/payments/resolution';
import { isPendingRefund } from '@/lib/refunds/state-machine';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { parseSandboxRefundCallback, SANDBOX_PSP } from '@/lib/psp/sandbox-callbacks';
import type { CallbackHint, PspPaymentStatus } from '@/lib/psp/types';
import { decideCallbackAction } from './callback-rule';
import { confirmAttemptWithPsp, confirmRefundWithPsp, type HintOutcome } from './confirm-with-psp';
import { processMpesaCallback, type MpesaCallbackOutcome } from './mpesa';
import { DARAJA_RESULT_INBOX, processDarajaResult, type DarajaResultOutcome } from './daraja-results';
import { C2B_INBOX, processC2bConfirmation, type C2bConfirmationOutcome } from './daraja-c2b';
import { processStripeEvent, type StripeEventOutcome } from './stripe';
import { STRIPE_PSP } from '@/lib/psp/stripe/constants';
import { closeInboxMessage, countProcessingAttempt, findStaleInboxMessages, loadInboxMessage, markInboxProcessed, recordInboxError } from './store';

export type InboxOutcome = HintOutcome | MpesaCallbackOutcome | DarajaResultOutcome | C2bConfirmationOutcome | StripeEventOutcome | 'already_processed' | 'unknown_payment';

export interface ProcessedInboxMessage {
  inboxId: string;
  outcome: InboxOutcome;
  /** Set when the callback belongs to one of our attempts: its state after processing. */
  attempt?: { paymentIntentId: string; attemptId: string; status: AttemptStatus };
  /**
   * false: nobody can be waiting for this callback's announcement (announcementAwaited). Absent
   * from results memoized before it existed, which announce as they did.
   */
  announce?: boolean;
}

/**
 * By PSP reference; before the synchronous answer stored one, by the Idempotency-Key we sent. One
 * statement: a callback naming one attempt's reference and another's key gets the reference's.
 */
async function findAttemptFor(psp: string, callback: CallbackHint & { pspReference: string }): Promise<PaymentAttempt | undefined> {
  const byReference = eq(paymentAttempts.pspReference, callback.pspReference);
  const [attempt] = await getDb()
    .select()
    .from(paymentAttempts)
    .where(
      and(
        eq(paymentAttempts.psp, psp),
        callback.idempotencyKey ? or(byReference, eq(paymentAttempts.pspIdempotencyKey, callback.idempotencyKey)) : byReference,
      ),
    )
    .orderBy(sql`(${byReference}) desc nulls last`)
    .limit(1);
  return attempt;
}

/**
 * A refund callback, found by PSP reference or (before the synchronous answer stored one) by the
 * Idempotency-Key we sent; the refund's new state is what the PSP answers for it, never the
 * callback's claim. Repeats are no-ops: only a pending refund moves.
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
  if (!isPendingRefund(refund) || callback.refund.status === 'pending') return { outcome: 'stale' };
  return { outcome: await confirmRefundWithPsp(refund) };
}

/** A sandbox payment callback's claim and the attempt it is about; undefined: none of ours it can be matched to. */
async function sandboxClaim(hint: CallbackHint): Promise<{ attempt: PaymentAttempt; claimed: PspPaymentStatus } | undefined> {
  const { pspReference, claimed } = hint;
  if (!pspReference || !claimed) return undefined;
  const attempt = await findAttemptFor(SANDBOX_PSP, { ...hint, pspReference });
  return attempt ? { attempt, claimed } : undefined;
}

/** The sandbox card network's payment and refund callbacks. */
async function processSandboxCallback(rawBody: string): Promise<Omit<ProcessedInboxMessage, 'inboxId'>> {
  const hint = getPaymentMethodAdapter(SANDBOX_PSP).parseCallback(rawBody);
  if (!hint) return applyRefundCallback(rawBody);
  const found = await sandboxClaim(hint);
  if (!found) return { outcome: 'unknown_payment' };
  // a hint: the payment's state is what the PSP answers when asked, not what the body claims
  return confirmAttemptWithPsp(found.attempt, found.claimed);
}

/** The payment's events that started a resolution (it waited for the PSP in requires_action or processing). */
function resolutionEvents(paymentIntentId: string) {
  return getDb()
    .select({ id: outboxEvents.id })
    .from(outboxEvents)
    .where(and(eq(outboxEvents.aggregateId, paymentIntentId), inArray(outboxEvents.type, RESOLUTION_TRIGGERS.map((t) => t.event))))
    .limit(1);
}

/**
 * Whether a processed callback must be announced (PSP_CALLBACK_APPLIED, which the payment's
 * resolution waits for): only once its attempt has an outcome, and only when the payment waited
 * for the PSP (requires_action, processing), since only then does a resolution run wait for it.
 * A card payment answered at once has no resolution: its callback's announcement would be an
 * event sent to nobody.
 */
export async function announcementAwaited(attempt: Pick<PaymentAttempt, 'paymentIntentId' | 'status'>): Promise<boolean> {
  if (isOpenAttempt(attempt)) return false;
  return (await resolutionEvents(attempt.paymentIntentId)).length > 0;
}

/**
 * A newly stored sandbox card callback that can change nothing is closed where it was received,
 * without a background run: its claim is no news for the attempt (decideCallbackAction: stale, or
 * left to the capture or cancel flow: what processing it would conclude before asking the PSP),
 * and no resolution waits for its announcement (announcementAwaited). That is the callback of every
 * card payment whose synchronous answer got there first: one run, two event sends and a serve
 * call fewer per payment. true: closed (outcome recorded, one try counted); false: the caller
 * hands it to the engine as before (also when a resolution waits, or another delivery closed it
 * first: the engine then finds it processed). A crash before the close leaves the row unprocessed
 * for the inbox sweep, as a lost notification does.
 */
export async function closeCallbackWithoutNews(inboxId: string, rawBody: string): Promise<boolean> {
  const hint = getPaymentMethodAdapter(SANDBOX_PSP).parseCallback(rawBody);
  const found = hint ? await sandboxClaim(hint) : undefined; // no hint: a refund's callback
  if (!found) return false;
  const { attempt, claimed } = found;
  const action = decideCallbackAction(attempt.status, claimed);
  if (action === 'apply') return false;
  // a finished attempt's callback is closed only if no resolution waits (announcementAwaited), checked in the close itself
  const unlessAwaited: SQL | undefined = isOpenAttempt(attempt) ? undefined : notExists(resolutionEvents(attempt.paymentIntentId));
  return closeInboxMessage(inboxId, action, unlessAwaited);
}

/**
 * Each PSP's callback reader, by the inbox row's PSP (the route that stored it): one line per
 * PSP that sends callbacks. Every reader treats the body as a hint and applies only what the PSP
 * answers when asked (the adapter's resolve / retrieve).
 */
const CALLBACK_PROCESSORS: Record<string, (rawBody: string) => Promise<Omit<ProcessedInboxMessage, 'inboxId'>>> = {
  [SANDBOX_PSP]: processSandboxCallback,
  [STRIPE_PSP]: processStripeEvent,
  [MPESA_PSP]: processMpesaCallback,
  [DARAJA_RESULT_INBOX.result]: (rawBody) => processDarajaResult(rawBody, 'result'),
  [DARAJA_RESULT_INBOX.timeout]: (rawBody) => processDarajaResult(rawBody, 'timeout'),
  [C2B_INBOX.confirmation]: processC2bConfirmation,
  // answered (and marked processed) by the route itself; a row left unmarked by a crash has nothing more to do
  [C2B_INBOX.validation]: () => Promise.resolve({ outcome: 'stale' as const }),
};

async function applyCallback(psp: string, rawBody: string): Promise<Omit<ProcessedInboxMessage, 'inboxId'>> {
  const process = CALLBACK_PROCESSORS[psp];
  if (!process) throw new Error(`no callback parser for PSP ${psp}`);
  return process(rawBody);
}

/**
 * Processes one stored callback and marks it processed. A callback never changes a payment by
 * itself: it prompts a query to the PSP (retrieve, or an STK query for M-Pesa) whose answer goes
 * through the payment state machine. Safe to run twice: applyPspPayment only moves an attempt
 * out of pending/requires_action once, the callback rule never lets an older status move
 * anything back, and the processed mark is set once (a crash between the effect and the mark
 * repeats a no-op).
 */
export async function processInboxMessage(inboxId: string): Promise<ProcessedInboxMessage> {
  const message = await loadInboxMessage(inboxId);
  if (message.processedAt) return { inboxId, outcome: 'already_processed' };
  await countProcessingAttempt(inboxId);
  try {
    const result = await applyCallback(message.psp, message.rawBody);
    await markInboxProcessed(inboxId, result.outcome);
    return { inboxId, ...result, announce: result.attempt ? await announcementAwaited(result.attempt) : false };
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
