import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentIntents, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { paymentMethodForAttempt } from '@/lib/payment-methods';
import type { PaymentMethodAdapter, PaymentMethodDetails } from '@/lib/psp/types';
import { blockMessage, checkRisk } from '@/lib/risk';
import { assertNoAttemptInFlight } from './apply-psp-result';
import { lockPaymentIntent } from './intents';
import { CONFIRMABLE_STATUSES } from './state-machine';
import { transitionPaymentIntent } from './transition';

export interface BeginAttemptInput {
  merchantId: string;
  paymentIntentId: string;
  customerEmail?: string | null;
  customerIp?: string | null;
  /** Where the customer returns after 3-D Secure; the attempt id is appended. */
  returnUrl?: string;
  /** The PaymentMethod (`pm_`) named at confirmation; without one, a card token becomes a new one. */
  paymentMethodId?: string;
  /** A saved card charged without the customer (off_session): the PSP declines instead of asking for 3-D Secure. */
  offSession?: boolean;
}

export function assertConfirmable(pi: PaymentIntent): void {
  if (!CONFIRMABLE_STATUSES.includes(pi.status)) {
    throw new AppError(
      'payment_intent_unexpected_state',
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
    );
  }
}

/**
 * Records an attempt and its risk decision, for every payment method, in one transaction under the
 * intent's row lock: the intent must still be confirmable, no other attempt may be in flight (a
 * unique index backs this up), the risk rules see the card's fingerprint or the payer's phone, and
 * the method records what only it keeps (M-Pesa's row). A blocked attempt is failed here and never
 * sent (payment_blocked).
 */
export async function beginAttempt(
  input: BeginAttemptInput,
  adapter: PaymentMethodAdapter,
  method: PaymentMethodDetails,
  routingReason: string,
): Promise<PaymentAttempt> {
  const result = await getDb().transaction(async (tx) => {
    const pi = await lockPaymentIntent(tx, input.merchantId, input.paymentIntentId);
    assertConfirmable(pi);
    await assertNoAttemptInFlight(tx, pi.id);
    const email = (input.customerEmail ?? pi.customerEmail)?.toLowerCase() ?? null;
    const risk = await checkRisk(tx, {
      merchantId: pi.merchantId,
      amount: pi.amount,
      currency: pi.currency,
      customerIp: input.customerIp ?? null,
      customerEmail: email,
      cardFingerprint: method.card?.fingerprint ?? null,
      pspRiskLevel: method.riskLevel,
      ...(method.phone ? { phone: method.phone } : {}),
    });
    const attemptId = newId('paymentAttempt');
    const paymentMethodId = await paymentMethodForAttempt(tx, pi.merchantId, method, input.paymentMethodId ?? null, adapter.name);
    const blocked = risk.decision === 'block';
    const returnUrl = input.returnUrl ? appendParam(input.returnUrl, 'payment_attempt', attemptId) : '';
    const [attempt] = await tx
      .insert(paymentAttempts)
      .values({
        id: attemptId,
        paymentIntentId: pi.id,
        merchantId: pi.merchantId,
        status: blocked ? 'failed' : 'pending',
        amount: pi.amount,
        currency: pi.currency,
        psp: adapter.name,
        routingReason,
        pspIdempotencyKey: `${attemptId}:${adapter.beginKey}`,
        paymentMethodType: method.type,
        paymentMethodToken: method.card ? method.reference : null,
        paymentMethodId,
        offSession: input.offSession ?? false,
        card: method.card ? { ...method.card } : null,
        customerIp: input.customerIp ?? null,
        customerEmail: email,
        riskDecision: risk.decision,
        riskReasons: risk.reasons,
        failureCode: blocked ? 'payment_blocked' : null,
        failureMessage: blocked ? blockMessage(risk.reasons) : null,
        nextAction: returnUrl ? { type: 'redirect_to_url', redirect_to_url: { url: '', return_url: returnUrl } } : null,
      })
      .returning();
    if (!attempt) throw new Error('attempt insert returned nothing');
    await adapter.recordAttempt?.(tx, attempt, method);
    if (blocked) {
      await transitionPaymentIntent(tx, pi, 'requires_payment_method', {
        latestAttemptId: attempt.id,
        paymentMethodId,
        customerEmail: email,
        lastPaymentError: { type: 'card_error', code: 'payment_blocked', message: blockMessage(risk.reasons), payment_attempt: attempt.id },
      });
      return { attempt, blocked: blockMessage(risk.reasons) };
    }
    await tx
      .update(paymentIntents)
      .set({ latestAttemptId: attempt.id, paymentMethodId, customerEmail: email, updatedAt: new Date() })
      .where(eq(paymentIntents.id, pi.id));
    return { attempt, blocked: null };
  });
  if (result.blocked) throw new AppError('payment_blocked', result.blocked);
  return result.attempt;
}

function appendParam(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
