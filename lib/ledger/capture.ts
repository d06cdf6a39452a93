import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { outboxEvents, paymentAttempts } from '@/db/schema';
import { invariant } from '@/lib/errors';
import { assertValidAmount, parseCurrency, type Currency } from '@/lib/money';
import { computeFeeMinor, getFeeSchedule } from './fees';
import { post, type PostResult } from './post';
import type { Poster } from './batching-poster';
import { authorizationCancelLines, captureLines, type Posting } from './posting-rules';

export interface CaptureInput {
  eventId: string;
  merchantId: string;
  paymentIntentId: string;
  currency: Currency;
  psp: string;
  /** The amount this capture took: all of the authorization, or part of it (partial capture). */
  amountMinor: number;
}

/**
 * Books a capture: gross into the merchant's pending balance, the fee (merchant's schedule, or
 * the default) to fee revenue, and the payment's captured amount. Idempotent per event id
 * (a repeat returns the first posting); one statement, no account lock, so a hot merchant scales.
 * Pass a batching poster (batching-poster.ts) to group-commit captures made outside a transaction.
 */
export async function recordCapture(db: DbOrTx, input: CaptureInput, options: { poster?: Poster } = {}): Promise<PostResult> {
  assertValidAmount(input.amountMinor, input.currency);
  const feeMinor = computeFeeMinor(input.amountMinor, await getFeeSchedule(db, input.merchantId, input.currency));
  const posting: Posting = {
    kind: 'capture',
    eventId: input.eventId,
    merchantId: input.merchantId,
    currency: input.currency,
    paymentIntentId: input.paymentIntentId,
    lines: captureLines({ ...input, feeMinor }),
    paymentDelta: { paymentIntentId: input.paymentIntentId, psp: input.psp, capturedMinor: input.amountMinor, feeMinor },
  };
  return options.poster ? options.poster.post(posting) : post(db, posting);
}

/**
 * Makes sure the capture that a payment_intent.succeeded event announces is in the ledger. The
 * capture consumer calls it when the event arrives; a refund that comes first calls it too, so
 * the money it takes back is on the books. Both book the same numbers: the payment as the event
 * recorded it when it succeeded (the outbox row, written in that transaction) and the PSP of its
 * succeeded attempt. Whichever runs second is a no-op (postings are unique per event and kind).
 */
export async function ensureCapturePosted(db: DbOrTx, eventId: string): Promise<PostResult> {
  const [event] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, eventId));
  invariant(event?.type === 'payment_intent.succeeded', `${eventId} is not a payment_intent.succeeded event`);
  const payment = (event.data as { object?: { id?: unknown; amount_received?: unknown; currency?: unknown } }).object;
  const paymentIntentId = event.aggregateId;
  invariant(event.merchantId && payment?.id === paymentIntentId, `${eventId} lacks the payment`);
  invariant(typeof payment.amount_received === 'number' && typeof payment.currency === 'string', `${eventId} lacks the captured amount`);
  const [attempt] = await db
    .select({ psp: paymentAttempts.psp })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.paymentIntentId, paymentIntentId), eq(paymentAttempts.status, 'succeeded')));
  // Booking under a guessed PSP would put the money in the wrong clearing account: retry instead.
  invariant(attempt, `succeeded intent ${paymentIntentId} has no succeeded attempt`);
  return recordCapture(db, {
    eventId,
    merchantId: event.merchantId,
    paymentIntentId,
    currency: parseCurrency(payment.currency),
    psp: attempt.psp,
    amountMinor: payment.amount_received,
  });
}

/** The payment_intent.succeeded event of a payment (its capture is posted under that event's id). */
export async function captureEventOf(db: DbOrTx, paymentIntentId: string): Promise<string> {
  const [event] = await db
    .select({ id: outboxEvents.id })
    .from(outboxEvents)
    .where(and(eq(outboxEvents.aggregateId, paymentIntentId), eq(outboxEvents.type, 'payment_intent.succeeded')));
  invariant(event, `succeeded intent ${paymentIntentId} has no payment_intent.succeeded event`);
  return event.id;
}

/**
 * An authorization cancel (or expiry) moves no money, so nothing is posted: the hold lived on the
 * cardholder's side and never entered our books. Consumers can call this for symmetry.
 */
export function recordAuthorizationCancel(): null {
  invariant(authorizationCancelLines().length === 0, 'an authorization cancel posts nothing');
  return null;
}
