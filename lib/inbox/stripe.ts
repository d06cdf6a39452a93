import Stripe from 'stripe';
import { and, eq, or } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentDisputes, refunds, type AttemptStatus, type PaymentAttempt } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { STRIPE_PSP } from '@/lib/psp/stripe/constants';
import { toPspPayment, toPspRefund } from '@/lib/psp/stripe/adapter';
import { STRIPE_PAYMENT_EVENTS } from '@/lib/psp/stripe/callback';
import { PspError, type PspPayment } from '@/lib/psp/types';
import { sendRefundToPsp } from '@/lib/refunds';
import { confirmAttemptWithPsp, confirmRefundWithPsp, type HintOutcome } from './confirm-with-psp';
import type { NotifyInbox } from './receive';
import { storableHeaders, storeInboxMessage, type StoredCallback } from './store';

export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';

type StripeEvent = ReturnType<Stripe['webhooks']['constructEvent']>;
type StripePaymentIntent = Parameters<typeof toPspPayment>[0];
type StripeRefund = Parameters<typeof toPspRefund>[0];

/**
 * Stripe's webhook: verified with the SDK on the raw bytes (a bad or missing signature changes
 * nothing), stored once per Stripe event id (evt_...), then handed to the engine to apply.
 * Safe to run twice: the inbox dedupes by event id and the engine dedupes the notification.
 */
export async function receiveStripeWebhook(request: { rawBody: string; headers: Headers }, notify: NotifyInbox): Promise<StoredCallback> {
  const secret = env().STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError('parameter_invalid', 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is not set).');
  const signature = request.headers.get(STRIPE_SIGNATURE_HEADER);
  if (!signature) throw new AppError('parameter_invalid', 'Missing Stripe-Signature header.');
  let event: StripeEvent;
  try {
    event = Stripe.webhooks.constructEvent(request.rawBody, signature, secret);
  } catch {
    throw new AppError('parameter_invalid', 'Invalid Stripe-Signature header.');
  }
  const stored = await storeInboxMessage({ psp: STRIPE_PSP, pspEventId: event.id, headers: storableHeaders(request.headers), rawBody: request.rawBody });
  // A redelivery re-sends the notification in case the first one was lost; the engine dedupes it.
  if (!stored.processed) await notifyOrWarn(notify, stored.inboxId);
  return stored;
}

// While the engine is unreachable every webhook would fail the same way: say so once, not per webhook.
let engineUnreachableLogged = false;

async function notifyOrWarn(notify: NotifyInbox, inboxId: string): Promise<void> {
  try {
    await notify(inboxId, STRIPE_PSP);
    engineUnreachableLogged = false;
  } catch (err) {
    if (engineUnreachableLogged) return;
    engineUnreachableLogged = true;
    console.warn(`[inbox] ${inboxId} stored but the engine was not notified (the inbox sweep will process it):`, err instanceof Error ? err.message : err);
  }
}

export type StripeEventOutcome = HintOutcome | 'unknown_payment' | 'ignored' | 'recorded';

export interface StripeEventResult {
  outcome: StripeEventOutcome;
  attempt?: { paymentIntentId: string; attemptId: string; status: AttemptStatus };
}


/**
 * Applies one stored (already verified) Stripe event. Duplicates and out-of-order events take
 * effect once: payments go through decideCallbackAction + applyPspPayment (forward only), refunds
 * through applyRefundOutcome (a pending refund moves once), disputes are unique per dispute id.
 */
export async function processStripeEvent(rawBody: string): Promise<StripeEventResult> {
  const event = JSON.parse(rawBody) as { type: string; data: { object: unknown } };
  if (STRIPE_PAYMENT_EVENTS.has(event.type)) return applyPaymentEvent(event.data.object as StripePaymentIntent);
  if (event.type === 'charge.refunded') return applyChargeRefunded(event.data.object as ChargeObject);
  if (event.type === 'charge.refund.updated' || event.type === 'refund.updated') return applyRefund(event.data.object as StripeRefund);
  if (event.type === 'charge.dispute.created') return recordDispute(event.data.object as DisputeObject);
  return { outcome: 'ignored' };
}

function summary(a: PaymentAttempt): NonNullable<StripeEventResult['attempt']> {
  return { paymentIntentId: a.paymentIntentId, attemptId: a.id, status: a.status };
}

/** By Stripe's pi_ id; before the synchronous answer stored it, by the Idempotency-Key we sent (in metadata). */
async function findAttempt(pspReference: string, idempotencyKey?: string): Promise<PaymentAttempt | undefined> {
  const byRef = eq(paymentAttempts.pspReference, pspReference);
  const match = idempotencyKey ? or(byRef, eq(paymentAttempts.pspIdempotencyKey, idempotencyKey)) : byRef;
  const [attempt] = await getDb()
    .select()
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.psp, STRIPE_PSP), match));
  return attempt;
}

async function applyPaymentEvent(pi: StripePaymentIntent): Promise<StripeEventResult> {
  const attempt = await findAttempt(pi.id, pi.metadata?.paykit_idempotency_key);
  if (!attempt) return { outcome: 'unknown_payment' };
  let payment: PspPayment;
  try {
    payment = toPspPayment(pi);
  } catch (err) {
    if (err instanceof PspError) return { outcome: 'stale', attempt: summary(attempt) }; // "processing": no news
    throw err;
  }
  // Signed by Stripe, yet still a hint: what is applied is the PaymentIntent as Stripe answers
  // a retrieve for it (a leaked webhook secret must not be enough to mark a payment paid).
  return confirmAttemptWithPsp(attempt, payment.status);
}

interface ChargeObject {
  id: string;
  payment_intent: string | null;
  refunds?: { data?: StripeRefund[] } | null;
}

/** Applies each refund the charge lists; without the list, re-asks Stripe for our pending ones (keyed, so no new refund). */
async function applyChargeRefunded(charge: ChargeObject): Promise<StripeEventResult> {
  const listed = charge.refunds?.data ?? [];
  if (listed.length > 0) {
    const results = await Promise.all(listed.map((r) => applyRefund(r)));
    return { outcome: results.some((r) => r.outcome === 'apply') ? 'apply' : (results[0]?.outcome ?? 'stale') };
  }
  if (!charge.payment_intent) return { outcome: 'unknown_payment' };
  const attempt = await findAttempt(charge.payment_intent);
  if (!attempt) return { outcome: 'unknown_payment' };
  const pending = await getDb()
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.paymentIntentId, attempt.paymentIntentId), eq(refunds.status, 'pending')));
  for (const r of pending) await sendRefundToPsp(r.id);
  return { outcome: pending.length > 0 ? 'apply' : 'stale' };
}

async function applyRefund(wire: StripeRefund): Promise<StripeEventResult> {
  const outcome = toPspRefund(wire);
  const key = wire.metadata?.paykit_idempotency_key;
  const [refund] = await getDb()
    .select()
    .from(refunds)
    .where(and(eq(refunds.psp, STRIPE_PSP), key ? or(eq(refunds.pspReference, outcome.pspReference), eq(refunds.pspIdempotencyKey, key)) : eq(refunds.pspReference, outcome.pspReference)));
  if (!refund) return { outcome: 'unknown_payment' };
  if (refund.status !== 'pending' || outcome.status === 'pending') return { outcome: 'stale' };
  return { outcome: await confirmRefundWithPsp(refund) };
}

interface DisputeObject {
  id: string;
  amount: number;
  currency: string;
  reason: string;
  status: string;
  payment_intent: string | null;
}

/** Recorded once per Stripe dispute id (unique index); a redelivery inserts nothing. */
async function recordDispute(dispute: DisputeObject): Promise<StripeEventResult> {
  if (!dispute.payment_intent) return { outcome: 'unknown_payment' };
  const attempt = await findAttempt(dispute.payment_intent);
  if (!attempt) return { outcome: 'unknown_payment' };
  const inserted = await getDb()
    .insert(paymentDisputes)
    .values({
      id: newId('paymentDispute'),
      merchantId: attempt.merchantId,
      paymentIntentId: attempt.paymentIntentId,
      psp: STRIPE_PSP,
      pspDisputeId: dispute.id,
      amount: dispute.amount,
      currency: dispute.currency,
      reason: dispute.reason,
      status: dispute.status,
    })
    .onConflictDoNothing({ target: [paymentDisputes.psp, paymentDisputes.pspDisputeId] })
    .returning({ id: paymentDisputes.id });
  return { outcome: inserted.length > 0 ? 'recorded' : 'stale', attempt: summary(attempt) };
}
