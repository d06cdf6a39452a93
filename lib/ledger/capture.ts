import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { outboxEvents, paymentAttempts, type OutboxEvent } from '@/db/schema';
import { invariant } from '@/lib/errors';
import { assertValidAmount, parseCurrency, type Currency } from '@/lib/money';
import { computeFeeMinor, getFeeSchedule } from './fees';
import { post, walletDebitsOf, writePostings, type PostResult } from './post';
import type { Poster } from './batching-poster';
import { assertBalanced, authorizationCancelLines, captureLines, type Posting } from './posting-rules';

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
  const posting = await capturePosting(db, input);
  return options.poster ? options.poster.post(posting) : post(db, posting);
}

/** The posting of a capture: gross, the fee by the merchant's schedule, the payment's captured amount. */
async function capturePosting(db: DbOrTx, input: CaptureInput): Promise<Posting> {
  assertValidAmount(input.amountMinor, input.currency);
  const feeMinor = computeFeeMinor(input.amountMinor, await getFeeSchedule(db, input.merchantId, input.currency));
  return {
    kind: 'capture',
    eventId: input.eventId,
    merchantId: input.merchantId,
    currency: input.currency,
    paymentIntentId: input.paymentIntentId,
    lines: captureLines({ ...input, feeMinor }),
    paymentDelta: { paymentIntentId: input.paymentIntentId, psp: input.psp, capturedMinor: input.amountMinor, feeMinor },
  };
}

/** What a payment_intent.succeeded outbox row says was captured; throws if it is not one or lacks it. */
function captureInputOf(eventId: string, event: OutboxEvent | undefined, succeededPsp: string | undefined): CaptureInput {
  invariant(event?.type === 'payment_intent.succeeded', `${eventId} is not a payment_intent.succeeded event`);
  const payment = (event.data as { object?: { id?: unknown; amount_received?: unknown; currency?: unknown } }).object;
  const paymentIntentId = event.aggregateId;
  invariant(event.merchantId && payment?.id === paymentIntentId, `${eventId} lacks the payment`);
  invariant(typeof payment.amount_received === 'number' && typeof payment.currency === 'string', `${eventId} lacks the captured amount`);
  // Booking under a guessed PSP would put the money in the wrong clearing account: retry instead.
  invariant(succeededPsp, `succeeded intent ${paymentIntentId} has no succeeded attempt`);
  return {
    eventId,
    merchantId: event.merchantId,
    paymentIntentId,
    currency: parseCurrency(payment.currency),
    psp: succeededPsp,
    amountMinor: payment.amount_received,
  };
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
  const [attempt] = event
    ? await db
        .select({ psp: paymentAttempts.psp })
        .from(paymentAttempts)
        .where(and(eq(paymentAttempts.paymentIntentId, event.aggregateId), eq(paymentAttempts.status, 'succeeded')))
    : [];
  return recordCapture(db, captureInputOf(eventId, event, attempt?.psp));
}

export type CaptureBatchResult =
  | ({ eventId: string; ok: true } & PostResult)
  | { eventId: string; ok: false; error: string };

/**
 * ensureCapturePosted for many events at once (the batched capture consumer): two reads for all
 * of them and ONE statement, so one transaction and one commit, writing every posting. Still
 * exactly once per event: a posting already in the ledger (a redelivered or partly posted batch)
 * is skipped by the (event id, kind) key and comes back with created: false. An event that cannot
 * be booked (not a capture, no succeeded attempt, a posting the database refuses) is reported in
 * its own result and does not stop the others.
 */
export async function ensureCapturesPosted(db: DbOrTx, eventIds: readonly string[]): Promise<CaptureBatchResult[]> {
  const ids = [...new Set(eventIds)];
  if (ids.length === 0) return [];
  const events = new Map((await db.select().from(outboxEvents).where(inArray(outboxEvents.id, ids))).map((e) => [e.id, e]));
  const intentIds = [...new Set([...events.values()].map((e) => e.aggregateId))];
  const succeededPsp = new Map(
    intentIds.length === 0
      ? []
      : (
          await db
            .select({ paymentIntentId: paymentAttempts.paymentIntentId, psp: paymentAttempts.psp })
            .from(paymentAttempts)
            .where(and(inArray(paymentAttempts.paymentIntentId, intentIds), eq(paymentAttempts.status, 'succeeded')))
        ).map((a) => [a.paymentIntentId, a.psp]),
  );
  const failed = new Map<string, string>();
  const postings: Posting[] = [];
  for (const eventId of ids) {
    const event = events.get(eventId);
    try {
      const posting = await capturePosting(db, captureInputOf(eventId, event, event && succeededPsp.get(event.aggregateId)));
      assertBalanced(posting.lines);
      // a capture only adds to the merchant (pending, net of the fee): no wallet lock needed
      invariant(walletDebitsOf(posting).length === 0, `capture ${eventId} would take money out of a wallet`);
      postings.push(posting);
    } catch (err) {
      failed.set(eventId, (err as Error).message);
    }
  }
  const posted = new Map<string, PostResult>();
  try {
    (await writePostings(db, postings)).forEach((result, i) => posted.set(postings[i]!.eventId, result));
  } catch {
    // One posting the database refuses must not fail its neighbours: each alone, each on its own.
    for (const posting of postings) {
      try {
        const [result] = await writePostings(db, [posting]);
        posted.set(posting.eventId, result!);
      } catch (err) {
        failed.set(posting.eventId, (err as Error).message);
      }
    }
  }
  return ids.map((eventId): CaptureBatchResult => {
    const result = posted.get(eventId);
    return result ? { eventId, ok: true, ...result } : { eventId, ok: false, error: failed.get(eventId) ?? 'not posted' };
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
