import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { checkoutSessions, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { getPspByName } from '@/lib/psp';
import { PspError } from '@/lib/psp/types';
import { updateAttempt } from './apply-psp-result';
import { getAttempt, getPaymentIntent, lockPaymentIntent } from './intents';
import { serializeCheckoutSession } from './serialize';
import { CANCELABLE_STATUSES } from './state-machine';
import { transitionPaymentIntent } from './transition';

export const cancelPaymentIntentBody = z
  .object({
    cancellation_reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']).optional(),
  })
  .strict();

export const capturePaymentIntentBody = z
  .object({ amount_to_capture: z.number().optional() })
  .strict();

function pspFailure(err: unknown): never {
  if (err instanceof PspError) throw new AppError('psp_unavailable', 'The card network could not be reached. Nothing was changed; try again.', { cause: err });
  throw err;
}

/**
 * Cancels a PaymentIntent. A held authorization (requires_capture) or a pending 3-D Secure
 * payment is canceled at the PSP first, so the customer's funds are released; only then does
 * the intent move to canceled. Re-running is safe: the PSP cancel is keyed by the attempt.
 */
export async function cancelPaymentIntent(merchantId: string, id: string, reason: string | undefined): Promise<PaymentIntent> {
  const db = getDb();
  const pi = await getPaymentIntent(db, merchantId, id);
  if (!CANCELABLE_STATUSES.includes(pi.status)) {
    throw new AppError(
      'payment_intent_unexpected_state',
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`,
    );
  }
  const attempt = await getAttempt(db, pi.latestAttemptId);
  if (attempt?.status === 'pending') throw new AppError('payment_in_progress', 'A payment attempt is in progress; try again in a moment.');
  const liveAtPsp = attempt && (attempt.status === 'authorized' || attempt.status === 'requires_action') && attempt.pspReference;
  if (liveAtPsp) {
    // the attempt's own PSP: the authorization lives there
    await getPspByName(attempt.psp)
      .cancel(attempt.pspReference!, `${attempt.id}:cancel`)
      .catch(pspFailure);
  }
  return db.transaction(async (tx) => {
    const locked = await lockPaymentIntent(tx, merchantId, id);
    if (liveAtPsp) await updateAttempt(tx, attempt.id, { status: 'canceled', updatedAt: new Date() });
    const canceled = await transitionPaymentIntent(tx, locked, 'canceled', {
      amountCapturable: 0,
      cancellationReason: reason ?? 'requested_by_customer',
      canceledAt: new Date(),
    });
    if (canceled.checkoutSessionId) {
      const [cs] = await tx
        .update(checkoutSessions)
        .set({ status: 'expired' })
        .where(and(eq(checkoutSessions.id, canceled.checkoutSessionId), eq(checkoutSessions.status, 'open')))
        .returning();
      if (cs) {
        await writeOutboxEvent(tx, {
          type: 'checkout.session.expired',
          merchantId,
          aggregateType: 'checkout_session',
          aggregateId: cs.id,
          data: { object: serializeCheckoutSession(cs, canceled, env().APP_URL) },
        });
      }
    }
    return canceled;
  });
}

/**
 * Captures a held authorization, fully or partly (the rest is released, as card networks do).
 * The PSP capture is keyed by the attempt, so a retried capture is applied once.
 */
export async function capturePaymentIntent(merchantId: string, id: string, amountToCapture: number | undefined): Promise<PaymentIntent> {
  const db = getDb();
  const pi = await getPaymentIntent(db, merchantId, id);
  if (pi.status !== 'requires_capture') {
    throw new AppError('payment_intent_unexpected_state', `You cannot capture this PaymentIntent because it has a status of ${pi.status}.`);
  }
  const amount = amountToCapture ?? pi.amountCapturable;
  if (!Number.isInteger(amount) || amount < 1 || amount > pi.amountCapturable) {
    throw new AppError('parameter_invalid', `amount_to_capture must be a whole number from 1 to ${pi.amountCapturable}.`, { param: 'amount_to_capture' });
  }
  const attempt = (await getAttempt(db, pi.latestAttemptId)) as PaymentAttempt | null;
  if (!attempt?.pspReference || attempt.status !== 'authorized') throw new Error(`intent ${pi.id} in requires_capture without an authorized attempt`);
  const captured = await getPspByName(attempt.psp)
    .capture(attempt.pspReference, amount, `${attempt.id}:capture`)
    .catch(pspFailure);
  return db.transaction(async (tx) => {
    const locked = await lockPaymentIntent(tx, merchantId, id);
    if (locked.status !== 'requires_capture') return locked; // a concurrent capture already applied it
    await updateAttempt(tx, attempt.id, { status: 'succeeded', updatedAt: new Date() });
    return transitionPaymentIntent(tx, locked, 'succeeded', { amountReceived: captured.amountCaptured, amountCapturable: 0 });
  });
}
