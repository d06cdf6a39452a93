import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentIntents, type PaymentIntent } from '@/db/schema';
import { env } from '@/lib/env';
import { parseAddress } from '@/lib/http/trust-proxy';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { getPspByName, routeCardPayment } from '@/lib/psp';
import { describeRoute, describeUnreachable, mayFailOver, type CardRoutePlan } from '@/lib/psp/routing';
import { MPESA_PSP } from '@/lib/psp/daraja';
import { PspError, type CardPspAdapter, type CardTokenInfo, type PspPayment } from '@/lib/psp/types';
import { blockMessage, checkRisk } from '@/lib/risk';
import { applyPspPayment, assertNoAttemptInFlight, isOpenAttempt, updateAttempt, type AttemptOutcome } from './apply-psp-result';
import { getPaymentIntent, lockPaymentIntent } from './intents';
import { resolveMpesaAttempt } from './mobile-money';
import { CONFIRMABLE_STATUSES } from './state-machine';
import { transitionPaymentIntent } from './transition';

export const confirmPaymentIntentBody = z
  .object({
    payment_method: z.string().min(1).max(200),
    receipt_email: z.string().email().max(320).optional(),
    return_url: z.string().url().max(2000).optional(),
    /** The customer's IP, when the merchant confirms server-side on their behalf (risk rules). */
    customer_ip: z
      .string()
      .refine((v) => parseAddress(v) !== null, 'must be an IPv4 or IPv6 address')
      // stored as the risk rules compare it: ::ffff:1.2.3.4 is 1.2.3.4
      .transform((v) => parseAddress(v)!.toString())
      .optional(),
  })
  .strict();

export interface ConfirmInput {
  merchantId: string;
  paymentIntentId: string;
  paymentMethod: string;
  customerEmail?: string | null;
  customerIp?: string | null;
  /** Where the customer returns after 3-D Secure; the attempt id is appended. */
  returnUrl?: string;
}

/**
 * Confirms a PaymentIntent with a card token: risk check, then one attempt at the PSP.
 *
 * Safe to call twice: at most one attempt can be in flight per intent (unique index), and the
 * PSP call carries the attempt's idempotency key on every retry, so the card is charged once.
 * A decline throws card_declined (402) after recording it; a risk block throws payment_blocked.
 */
export async function confirmPaymentIntent(input: ConfirmInput): Promise<AttemptOutcome> {
  const db = getDb();
  const pi = await getPaymentIntent(db, input.merchantId, input.paymentIntentId);
  assertConfirmable(pi);
  const plan = await routeCardPayment(input.merchantId, input.paymentMethod, pi.currency);
  const failures: string[] = [];
  let route = await retrieveTokenAlongRoute(plan, 0, input.paymentMethod, failures, input.merchantId);
  assertTokenUnused(route.tokenInfo);
  const attempt = await beginAttempt(input, route.tokenInfo, route.psp.name, describeRoute(plan, route.psp.name, failures));
  for (;;) {
    let result: PspPayment;
    try {
      result = await route.psp.authorize({
        idempotencyKey: attempt.pspIdempotencyKey,
        amount: attempt.amount,
        currency: attempt.currency,
        token: route.tokenInfo.token,
        capture: pi.captureMethod === 'automatic',
        returnUrl: attempt.nextAction?.redirect_to_url.return_url || undefined,
        merchantId: input.merchantId,
      });
    } catch (err) {
      // Fail over only when the request never left this PSP: it cannot have charged.
      const next =
        err instanceof PspError && mayFailOver(err)
          ? await nextRouteAfter(plan, route.index, input.paymentMethod, failures, route.psp.name, err, input.merchantId)
          : null;
      if (!next) return handleAuthorizeFailure(attempt.id, err);
      route = next;
      await switchAttemptPsp(attempt.id, next.psp.name, describeRoute(plan, next.psp.name, failures));
      continue;
    }
    const outcome = await applyPspPayment(attempt.id, result, env().APP_URL);
    throwIfFailed(outcome);
    return outcome;
  }
}

/**
 * A single-use token that already paid for something is refused before any attempt is recorded,
 * so a second use changes nothing. (Two confirms racing with one token both pass this check; the
 * PSP's atomic "use" lets one charge and refuses the other: see handleAuthorizeFailure.)
 */
function assertTokenUnused(tokenInfo: CardTokenInfo): void {
  if (tokenInfo.used) throw tokenAlreadyUsed(tokenInfo.token);
}

function tokenAlreadyUsed(token: string, cause?: unknown): AppError {
  return new AppError(
    'token_already_used',
    `This card token was already used for a payment: '${token}'. A token is single use: collect the card again for a new payment.`,
    { param: 'payment_method', cause },
  );
}

interface RouteStep {
  index: number;
  psp: CardPspAdapter;
  tokenInfo: CardTokenInfo;
}

/**
 * Reads the card token at the first PSP of the plan (from `from` on) that can be reached. A PSP
 * that cannot be reached before the request leaves is noted in `failures` and the next one is
 * asked; a definite "no such payment method" or any other failure ends the search.
 */
async function retrieveTokenAlongRoute(
  plan: CardRoutePlan,
  from: number,
  paymentMethod: string,
  failures: string[],
  merchantId: string,
): Promise<RouteStep> {
  if (plan.order.length === 0) {
    throw new AppError('payment_method_invalid', `No card PSP configured for this merchant can charge '${paymentMethod}'.`, {
      param: 'payment_method',
    });
  }
  let lastError: unknown;
  for (let index = from; index < plan.order.length; index++) {
    const psp = getPspByName(plan.order[index]!);
    try {
      return { index, psp, tokenInfo: await psp.retrieveCardToken(paymentMethod, merchantId) };
    } catch (err) {
      lastError = err;
      if (err instanceof PspError && mayFailOver(err) && index + 1 < plan.order.length) {
        failures.push(describeUnreachable(psp.name, err));
        continue;
      }
      break;
    }
  }
  if (lastError instanceof PspError && lastError.kind === 'rejected') {
    throw new AppError('payment_method_invalid', `No such payment method: '${paymentMethod}'`, { param: 'payment_method' });
  }
  if (lastError instanceof PspError)
    throw new AppError('psp_unavailable', 'The card network could not be reached. Try again shortly.', { cause: lastError });
  throw lastError;
}

/** The next reachable PSP after one that could not be reached at authorize, or null when none is left. */
async function nextRouteAfter(
  plan: CardRoutePlan,
  index: number,
  paymentMethod: string,
  failures: string[],
  failedPsp: string,
  err: PspError,
  merchantId: string,
): Promise<RouteStep | null> {
  if (index + 1 >= plan.order.length) return null;
  failures.push(describeUnreachable(failedPsp, err));
  try {
    return await retrieveTokenAlongRoute(plan, index + 1, paymentMethod, failures, merchantId);
  } catch {
    return null;
  }
}

/** Moves a still-pending attempt (never sent anywhere) to another PSP and records why. */
async function switchAttemptPsp(attemptId: string, psp: string, routingReason: string): Promise<void> {
  const [moved] = await getDb()
    .update(paymentAttempts)
    .set({ psp, routingReason, updatedAt: new Date() })
    .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.status, 'pending')))
    .returning({ id: paymentAttempts.id });
  if (!moved)
    throw new AppError('payment_in_progress', 'This payment attempt changed while it was being routed; try again in a moment.');
}

function assertConfirmable(pi: PaymentIntent): void {
  if (!CONFIRMABLE_STATUSES.includes(pi.status)) {
    throw new AppError(
      'payment_intent_unexpected_state',
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
    );
  }
}

/** Records the attempt and its risk decision; a blocked attempt is failed here and never sent. */
async function beginAttempt(input: ConfirmInput, tokenInfo: CardTokenInfo, psp: string, routingReason: string) {
  const blocked = await getDb().transaction(async (tx) => {
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
      cardFingerprint: tokenInfo.card.fingerprint,
      pspRiskLevel: tokenInfo.riskLevel,
    });
    const attemptId = newId('paymentAttempt');
    const isBlocked = risk.decision === 'block';
    const returnUrl = input.returnUrl ? appendParam(input.returnUrl, 'payment_attempt', attemptId) : '';
    const [attempt] = await tx
      .insert(paymentAttempts)
      .values({
        id: attemptId,
        paymentIntentId: pi.id,
        merchantId: pi.merchantId,
        status: isBlocked ? 'failed' : 'pending',
        amount: pi.amount,
        currency: pi.currency,
        psp,
        routingReason,
        pspIdempotencyKey: `${attemptId}:authorize`,
        paymentMethodType: 'card',
        paymentMethodToken: tokenInfo.token,
        card: { ...tokenInfo.card },
        customerIp: input.customerIp ?? null,
        customerEmail: email,
        riskDecision: risk.decision,
        riskReasons: risk.reasons,
        failureCode: isBlocked ? 'payment_blocked' : null,
        failureMessage: isBlocked ? blockMessage(risk.reasons) : null,
        nextAction: returnUrl ? { type: 'redirect_to_url', redirect_to_url: { url: '', return_url: returnUrl } } : null,
      })
      .returning();
    if (!attempt) throw new Error('attempt insert returned nothing');
    if (isBlocked) {
      await transitionPaymentIntent(tx, pi, 'requires_payment_method', {
        latestAttemptId: attempt.id,
        customerEmail: email,
        lastPaymentError: {
          type: 'card_error',
          code: 'payment_blocked',
          message: blockMessage(risk.reasons),
          payment_attempt: attempt.id,
        },
      });
      return { attempt, blocked: true as const, message: blockMessage(risk.reasons) };
    }
    await tx
      .update(paymentIntents)
      .set({ latestAttemptId: attempt.id, customerEmail: email, updatedAt: new Date() })
      .where(eq(paymentIntents.id, pi.id));
    return { attempt, blocked: false as const, message: '' };
  });
  if (blocked.blocked) throw new AppError('payment_blocked', blocked.message);
  return blocked.attempt;
}

/**
 * The PSP gave no answer. If the request never left (unreachable), nothing was charged: fail the
 * attempt. If it may have arrived (timeout, 5xx), the outcome is unknown: the intent waits in
 * processing and is resolved by re-sending the same idempotent request later (resolveAttempt),
 * never by charging again.
 */
async function handleAuthorizeFailure(attemptId: string, err: unknown): Promise<never> {
  if (!(err instanceof PspError)) throw err;
  if (err.kind === 'rejected' && err.reason === 'token_already_used') return failAttemptForUsedToken(attemptId, err);
  // "rejected" is a definite no from the PSP (a 4xx): nothing was charged, like "unreachable".
  if (!err.requestSent || err.kind === 'rejected') {
    await getDb().transaction(async (tx) => {
      const attempt = await updateAttempt(tx, attemptId, {
        status: 'failed',
        failureCode: 'psp_unavailable',
        failureMessage: 'The card network could not be reached.',
        updatedAt: new Date(),
      });
      const pi = await lockPaymentIntent(tx, attempt.merchantId, attempt.paymentIntentId);
      await transitionPaymentIntent(tx, pi, 'requires_payment_method', {
        lastPaymentError: {
          type: 'api_error',
          code: 'psp_unavailable',
          message: 'The card network could not be reached. Try again.',
          payment_attempt: attemptId,
        },
      });
    });
    console.error(`[psp] authorize for ${attemptId} failed without a charge: ${err.kind} ${err.message}`);
    throw new AppError(
      'psp_unavailable',
      'The card network could not process this request. No charge was made; try again shortly.',
      { cause: err },
    );
  }
  await getDb().transaction(async (tx) => {
    const [attempt] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId));
    if (!attempt || attempt.status !== 'pending') return;
    const pi = await lockPaymentIntent(tx, attempt.merchantId, attempt.paymentIntentId);
    if (pi.status !== 'processing') await transitionPaymentIntent(tx, pi, 'processing');
  });
  throw new AppError(
    'psp_unavailable',
    'The card network did not answer in time. The payment is processing and will be resolved; do not retry with a new payment.',
    {
      cause: err,
    },
  );
}

/** Lost the race for a single-use token: nothing was charged; the attempt fails and says why. */
async function failAttemptForUsedToken(attemptId: string, err: PspError): Promise<never> {
  const attempt = await getDb().transaction(async (tx) => {
    const failed = await updateAttempt(tx, attemptId, {
      status: 'failed',
      failureCode: 'token_already_used',
      failureMessage: 'The card token was already used for another payment.',
      updatedAt: new Date(),
    });
    const pi = await lockPaymentIntent(tx, failed.merchantId, failed.paymentIntentId);
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

function throwIfFailed(outcome: AttemptOutcome): void {
  const { attempt } = outcome;
  if (attempt.status !== 'failed') return;
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
 * Asks the PSP again about an open attempt (after a 3-D Secure redirect, or an unanswered
 * request) and applies the answer. Re-sending authorize with the attempt's idempotency key is
 * a read when the PSP already has the payment, so this can never charge twice.
 */
export async function resolveAttempt(attemptId: string): Promise<AttemptOutcome> {
  const db = getDb();
  const [attempt] = await db.select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId));
  if (!attempt) throw new AppError('resource_missing', `No such payment attempt: '${attemptId}'`);
  const pi = await getPaymentIntent(db, attempt.merchantId, attempt.paymentIntentId);
  if (!isOpenAttempt(attempt)) return { paymentIntent: pi, attempt };
  // M-Pesa is asked by STK query (a read); a final answer is applied once, like any PSP result.
  if (attempt.psp === MPESA_PSP) return resolveMpesaAttempt(attempt.id);
  // Always the attempt's own PSP: only it can know (and dedupe) what this attempt sent.
  const psp = getPspByName(attempt.psp);
  let result: PspPayment;
  if (attempt.pspReference) {
    result = await psp.retrieve(attempt.pspReference);
  } else if (attempt.paymentMethodToken) {
    result = await psp.authorize({
      idempotencyKey: attempt.pspIdempotencyKey,
      amount: attempt.amount,
      currency: attempt.currency,
      token: attempt.paymentMethodToken,
      capture: pi.captureMethod === 'automatic',
      returnUrl: attempt.nextAction?.redirect_to_url.return_url || undefined,
      merchantId: attempt.merchantId,
    });
  } else {
    return { paymentIntent: pi, attempt };
  }
  return applyPspPayment(attempt.id, result, env().APP_URL);
}

function appendParam(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
