import { and, eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { merchants, paymentAttempts, paymentIntents, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { getPaymentMethod, isPaymentMethodId } from '@/lib/payment-methods';
import { assertPaymentMethodUsable } from '@/lib/payment-methods/saved-cards';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { failOver, openRoute, planPaymentRoute, routingReason, type Route } from '@/lib/psp/router';
import { PspError, type CallbackHint, type PaymentMethodAdapter, type PaymentMethodDetails, type PaymentMethodType, type PspPayment } from '@/lib/psp/types';
import { applyPspPayment, failOpenAttempt, isOpenAttempt, type AttemptOutcome } from './apply-psp-result';
import { assertConfirmable, beginAttempt, type BeginAttemptInput } from './begin-attempt';
import { awaitPspAnswer } from './stranded';
import type { ConfirmParams } from './confirm-params';
import { getPaymentIntent, lockPaymentIntent } from './intents';
import { transitionLockedAttempt, transitionPaymentIntent } from './transition';

export { confirmPaymentIntentBody, confirmParams, paymentMethodDataParam, type ConfirmParams } from './confirm-params';

export interface ConfirmInput extends BeginAttemptInput {
  /** A card token (card), or the phone number to prompt (mpesa). */
  paymentMethod: string;
  /**
   * The intent and its merchant's name as the caller just read them (readIntentAndPayee), so the
   * confirm does not read them again. Only a pre-check reads them: beginAttempt re-reads the
   * intent under its row lock and decides there.
   */
  read?: IntentAndPayee;
}

interface IntentAndPayee {
  pi: PaymentIntent;
  /** The payee an M-Pesa prompt shows. */
  merchantName: string;
}

/** The intent and its merchant's name in one statement (resource_missing as getPaymentIntent's). */
async function readIntentAndPayee(merchantId: string, paymentIntentId: string): Promise<IntentAndPayee> {
  const [row] = await getDb()
    .select({ pi: paymentIntents, merchantName: merchants.name })
    .from(paymentIntents)
    .innerJoin(merchants, eq(merchants.id, paymentIntents.merchantId))
    .where(and(eq(paymentIntents.id, paymentIntentId), eq(paymentIntents.merchantId, merchantId)));
  if (!row) throw new AppError('resource_missing', `No such payment_intent: '${paymentIntentId}'`, { param: 'id' });
  return row;
}

/**
 * Confirms a PaymentIntent with the API's parameters: the PaymentMethod or token named, or the one
 * the intent was created with. A `pm_` id charges with the PSP token the PaymentMethod keeps, and
 * the attempt records it; a token becomes a new PaymentMethod when the attempt is recorded.
 */
export async function confirmWithParams(merchantId: string, paymentIntentId: string, params: ConfirmParams): Promise<AttemptOutcome> {
  const db = getDb();
  const { pi, merchantName } = await readIntentAndPayee(merchantId, paymentIntentId);
  assertConfirmable(pi);
  const named = params.payment_method_data ? null : (params.payment_method ?? pi.paymentMethodId);
  let token: string;
  let paymentMethodId: string | undefined;
  assertOneMethodGiven(params);
  if (params.payment_method_data) {
    if (params.payment_method_data.type !== 'card') {
      // an M-Pesa prompt is confirmed by confirmPaymentIntentJson (lib/api-objects), never as a card
      throw new AppError('payment_method_invalid', 'This confirmation takes a card.', { param: 'payment_method_data[type]' });
    }
    token = params.payment_method_data.card.token;
  } else if (named && isPaymentMethodId(named)) {
    const pm = await getPaymentMethod(db, merchantId, named);
    if (!pm.pspToken) {
      throw new AppError('payment_method_invalid', `The PaymentMethod '${pm.id}' cannot be charged: it keeps no token to charge with.`, { param: 'payment_method' });
    }
    // a saved card pays only for its own customer (lib/payment-methods/saved-cards)
    assertPaymentMethodUsable(pm, pi, params.off_session ?? false);
    token = pm.pspToken;
    paymentMethodId = pm.id;
  } else if (named) {
    token = named;
  } else {
    throw new AppError('parameter_missing', 'You must provide a payment_method (or payment_method_data) to confirm this PaymentIntent.', { param: 'payment_method' });
  }
  assertTakesMethod(pi, 'card', 'payment_method');
  if (params.off_session && !paymentMethodId) {
    throw new AppError('payment_method_invalid', 'off_session payments need a PaymentMethod saved to the customer (attached), not a card token.', { param: 'off_session' });
  }
  return confirmPaymentIntent({
    ...(params.off_session ? { offSession: true } : {}),
    read: { pi, merchantName },
    merchantId,
    paymentIntentId,
    paymentMethod: token,
    paymentMethodId,
    customerEmail: params.receipt_email,
    customerIp: params.customer_ip,
    returnUrl: params.return_url,
  });
}

/** A confirmation names its payment method once: a `payment_method`, or `payment_method_data`. */
export function assertOneMethodGiven(params: Pick<ConfirmParams, 'payment_method' | 'payment_method_data'>): void {
  if (params.payment_method && params.payment_method_data) {
    throw new AppError('parameter_invalid', 'Pass either payment_method or payment_method_data, not both.', { param: 'payment_method_data' });
  }
}

/** The intent must have been created for this method type (payment_method_types). */
export function assertTakesMethod(pi: Pick<PaymentIntent, 'paymentMethodTypes'>, type: PaymentMethodType, param: string): void {
  if (!pi.paymentMethodTypes.includes(type)) {
    const hint = type === 'card' ? '' : `: create it with payment_method_types[]=${type}`;
    throw new AppError('payment_method_invalid', `This PaymentIntent takes ${pi.paymentMethodTypes.join(', ')}, not ${type}${hint}.`, { param });
  }
}

export interface PaymentConfirmed extends AttemptOutcome {
  /** The payment method as the PSP read it (the normalized phone for M-Pesa). */
  paymentMethod: PaymentMethodDetails;
}

/**
 * Confirms a PaymentIntent with one payment method, the same way for every method: route (plan ->
 * read the payment method -> failover), risk check and attempt (beginAttempt), begin at the PSP,
 * apply its answer. A card answers at once (or redirects to 3-D Secure); M-Pesa answers "pending"
 * and the intent waits in processing until its STK query settles it.
 *
 * Safe to call twice: at most one attempt can be in flight per intent (unique index), and begin
 * carries the attempt's idempotency key on every retry (Daraja, without keys, is re-sent only when
 * it never acted), so the customer is charged once. A decline throws card_declined (402) after
 * recording it; a risk block throws payment_blocked.
 */
export async function confirmPayment(input: ConfirmInput & { method: PaymentMethodType }): Promise<PaymentConfirmed> {
  const { read, ...attemptInput } = input;
  const { pi, merchantName } = read ?? (await readIntentAndPayee(input.merchantId, input.paymentIntentId));
  assertConfirmable(pi);
  const capture = pi.captureMethod === 'automatic';
  const plan = await planPaymentRoute({ merchantId: input.merchantId, method: input.method, currency: pi.currency, paymentMethod: input.paymentMethod });
  if (plan.order[0]) getPaymentMethodAdapter(plan.order[0]).assertCanCharge({ amount: pi.amount, currency: pi.currency, capture });
  let route = await openRoute(plan, input.paymentMethod, input.merchantId);
  if (route.step.paymentMethod.used) throw tokenAlreadyUsed(route.step.paymentMethod.reference);
  const attempt = await beginAttempt(attemptInput, route.step.adapter, route.step.paymentMethod, routingReason(route));
  for (;;) {
    let result: PspPayment;
    try {
      result = await route.step.adapter.begin({
        attemptId: attempt.id,
        idempotencyKey: attempt.pspIdempotencyKey,
        amount: attempt.amount,
        currency: attempt.currency,
        paymentMethod: route.step.paymentMethod,
        capture,
        returnUrl: attempt.nextAction?.redirect_to_url.return_url || undefined,
        merchantId: input.merchantId,
        merchantName,
        ...(attempt.offSession ? { offSession: true } : {}),
      });
    } catch (err) {
      // Fail over only when the request never left this PSP: it cannot have charged.
      const next = await failOver(route, err, input.paymentMethod, input.merchantId);
      if (!next) return handleBeginFailure(attempt, route.step.adapter, err);
      route = next;
      await switchAttemptPsp(attempt, next);
      continue;
    }
    const outcome = await applyPspPayment(attempt.id, result, env().APP_URL);
    throwIfFailed(outcome);
    return { ...outcome, paymentMethod: route.step.paymentMethod };
  }
}

/** Confirms with a card token (the API's confirm and the pay page's card form). */
export async function confirmPaymentIntent(input: ConfirmInput): Promise<AttemptOutcome> {
  const { paymentIntent, attempt } = await confirmPayment({ ...input, method: 'card' });
  return { paymentIntent, attempt };
}

/**
 * A single-use token that already paid for something is refused before any attempt is recorded,
 * so a second use changes nothing. (Two confirms racing with one token both pass this check; the
 * PSP's atomic "use" lets one charge and refuses the other: see handleBeginFailure.)
 */
function tokenAlreadyUsed(token: string, cause?: unknown): AppError {
  return new AppError(
    'token_already_used',
    `This card token was already used for a payment: '${token}'. A token is single use: collect the card again for a new payment.`,
    { param: 'payment_method', cause },
  );
}

/** Moves a still-pending attempt (never sent anywhere) to the route's next PSP and records why. */
async function switchAttemptPsp(attempt: PaymentAttempt, route: Route): Promise<void> {
  const [moved] = await getDb()
    .update(paymentAttempts)
    .set({ psp: route.step.adapter.name, routingReason: routingReason(route), updatedAt: new Date() })
    .where(and(eq(paymentAttempts.id, attempt.id), eq(paymentAttempts.status, 'pending')))
    .returning({ id: paymentAttempts.id });
  if (!moved) throw new AppError('payment_in_progress', 'This payment attempt changed while it was being routed; try again in a moment.');
}

/**
 * The PSP gave no answer. If the request never left (unreachable), or the PSP said a definite no
 * (a 4xx, spike arrest), nothing was charged: fail the attempt. If it may have arrived (timeout,
 * 5xx, an unexpected failure), the outcome is unknown: the intent waits in processing and is
 * resolved by asking the PSP later (resolveAttempt), never by charging again.
 */
async function handleBeginFailure(attempt: PaymentAttempt, adapter: PaymentMethodAdapter, err: unknown): Promise<never> {
  const { wording } = adapter;
  if (err instanceof PspError && err.reason === 'token_already_used') return failAttemptForUsedToken(attempt.id, err);
  if (err instanceof PspError && err.reason === 'rate_limited') {
    await failOpenAttempt(attempt.id, `${adapter.name}_busy`, wording.busy);
    console.error(`[psp] begin of ${attempt.id} at ${adapter.name} refused for load: ${err.message}`);
    throw new AppError('rate_limited', wording.busy, { cause: err });
  }
  // "rejected" is a definite no from the PSP (a 4xx): nothing was charged, like "unreachable".
  if (err instanceof PspError && (!err.requestSent || err.kind === 'rejected')) {
    await getDb().transaction(async (tx) => {
      const pi = await lockPaymentIntent(tx, attempt.merchantId, attempt.paymentIntentId);
      const [current] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt.id));
      if (!current || !isOpenAttempt(current)) return;
      await transitionLockedAttempt(tx, current, 'failed', { failureCode: 'psp_unavailable', failureMessage: wording.notSent });
      await transitionPaymentIntent(tx, pi, 'requires_payment_method', {
        lastPaymentError: { type: 'api_error', code: 'psp_unavailable', message: wording.notSentRetry, payment_attempt: attempt.id },
      });
    });
    console.error(`[psp] begin of ${attempt.id} at ${adapter.name} failed without a charge: ${err.kind} ${err.message}`);
    throw new AppError('psp_unavailable', wording.notSentError, { cause: err });
  }
  await awaitPspAnswer(attempt);
  if (!(err instanceof PspError)) throw err;
  console.error(`[psp] begin of ${attempt.id} at ${adapter.name} has an unknown outcome: ${err.kind} ${err.message}`);
  throw new AppError('psp_unavailable', wording.unknown, { cause: err });
}

/** Lost the race for a single-use token: nothing was charged; the attempt fails and says why. */
async function failAttemptForUsedToken(attemptId: string, err: PspError): Promise<never> {
  const attempt = await getDb().transaction(async (tx) => {
    const [current] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId));
    if (!current) throw new Error(`payment attempt ${attemptId} not found`);
    const pi = await lockPaymentIntent(tx, current.merchantId, current.paymentIntentId);
    const failed = await transitionLockedAttempt(tx, current, 'failed', {
      failureCode: 'token_already_used',
      failureMessage: 'The card token was already used for another payment.',
    });
    await transitionPaymentIntent(tx, pi, 'requires_payment_method', {
      lastPaymentError: {
        type: 'invalid_request_error',
        code: 'token_already_used',
        message: 'The card token was already used for another payment. Enter the card again.',
        payment_attempt: attemptId,
      },
    });
    return failed;
  });
  throw tokenAlreadyUsed(attempt.paymentMethodToken ?? '', err);
}

/** A failed attempt becomes the customer's typed error (authentication_failed or card_declined, 402). */
export function throwIfFailed(outcome: AttemptOutcome): void {
  const { attempt } = outcome;
  if (attempt.status !== 'failed') return;
  if (attempt.failureCode === 'authentication_required') {
    // off session: the issuer wants the cardholder, who is not there (Stripe's authentication_required)
    throw new AppError('authentication_required', attempt.failureMessage ?? 'This payment requires the customer to authenticate.', {
      declineCode: 'authentication_required',
    });
  }
  if (attempt.failureCode === 'authentication_failed') {
    throw new AppError('authentication_failed', attempt.failureMessage ?? 'Authentication failed.', {
      declineCode: attempt.declineCode ?? undefined,
    });
  }
  throw new AppError('card_declined', attempt.failureMessage ?? 'Your card was declined.', {
    declineCode: attempt.declineCode ?? undefined,
  });
}

/**
 * Asks the attempt's own PSP again about an open attempt (after a 3-D Secure redirect, an
 * unanswered request, a callback) and applies the answer. Always a read at the PSP: a card
 * authorize re-sent with the attempt's idempotency key returns the payment the PSP already has;
 * an M-Pesa STK query asks about the one push. A final answer is applied once.
 */
export async function resolveAttempt(attemptId: string, hint?: CallbackHint): Promise<AttemptOutcome> {
  const db = getDb();
  const [attempt] = await db.select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId));
  if (!attempt) throw new AppError('resource_missing', `No such payment attempt: '${attemptId}'`);
  const pi = await getPaymentIntent(db, attempt.merchantId, attempt.paymentIntentId);
  if (!isOpenAttempt(attempt)) return { paymentIntent: pi, attempt };
  // Always the attempt's own PSP: only it can know (and dedupe) what this attempt sent.
  const answer = await getPaymentMethodAdapter(attempt.psp).resolve(
    {
      id: attempt.id,
      merchantId: attempt.merchantId,
      amount: attempt.amount,
      currency: attempt.currency,
      pspIdempotencyKey: attempt.pspIdempotencyKey,
      pspReference: attempt.pspReference,
      paymentMethodToken: attempt.paymentMethodToken,
      capture: pi.captureMethod === 'automatic',
      ...(attempt.offSession ? { offSession: true } : {}),
      ...(attempt.nextAction?.redirect_to_url.return_url ? { returnUrl: attempt.nextAction.redirect_to_url.return_url } : {}),
    },
    hint,
  );
  if (!answer) return { paymentIntent: pi, attempt };
  return applyPspPayment(attempt.id, answer, env().APP_URL);
}
