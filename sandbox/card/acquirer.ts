import { createHash } from 'node:crypto';
import type { Tx } from '@/db/client';
import type { SandboxCardPayment, SandboxCardToken } from '@/db/schema';
import { randomToken } from '@/lib/ids';
import type { CardBrand } from './card-number';
import { invalidRequest, notFound, SandboxError } from './errors';
import { emitPaymentCallback } from './callbacks';
import { AUTHENTICATION_FAILED, type IssuerDecision } from './issuer';
import {
  findPaymentByIdempotencyKey,
  findPaymentWithCard,
  insertPaymentUsingToken,
  transitionPayment,
  withLockedPayment,
  type NewSandboxPayment,
  type PaymentWithCard,
} from './payment-store';
import { routeAuthorization } from './scheme';
import type { IssuerProfile } from './test-cards';
import { findToken, type Account } from './tokenizer';

export interface CreatePaymentInput {
  token: string;
  amount: number;
  currency: string;
  capture: boolean;
  returnUrl: string | null;
  /** The merchant charges a saved card without the cardholder (no 3-D Secure can be asked). */
  offSession: boolean;
}

function requestHash(input: CreatePaymentInput, account: Account): string {
  // off_session joins the hash only when set, so requests made before it existed keep their hash
  const canonical = JSON.stringify([input.token, input.amount, input.currency, input.capture, input.returnUrl, account, ...(input.offSession ? ['off_session'] : [])]);
  return createHash('sha256').update(canonical).digest('hex');
}

function unexpectedState(payment: SandboxCardPayment, action: string): SandboxError {
  return invalidRequest('payment_unexpected_state', `This payment is ${payment.status}; it cannot be ${action}.`);
}

async function withCard(payment: SandboxCardPayment): Promise<PaymentWithCard> {
  const found = await findPaymentWithCard(payment.id);
  if (!found) throw notFound('payment', payment.id);
  return found;
}

/** A retry with the same key and body gets the first payment back; a different body is refused. */
async function replay(existing: SandboxCardPayment, hash: string): Promise<PaymentWithCard> {
  if (existing.requestHash !== hash) {
    throw new SandboxError(
      400,
      'idempotency_error',
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body.',
    );
  }
  return withCard(existing);
}

function askIssuer(token: SandboxCardToken, cardholderAuthenticated: boolean, offSession = false): IssuerDecision {
  return routeAuthorization(token.brand as CardBrand, {
    issuerProfile: token.issuerProfile as IssuerProfile,
    cardholderAuthenticated,
    offSession,
    cardOnFile: token.cardOnFile,
  });
}

/** The columns an issuer decision sets on a payment. */
function outcomeColumns(decision: IssuerDecision, amount: number, capture: boolean) {
  switch (decision.outcome) {
    case 'approved':
      return { status: capture ? 'captured' : 'authorized', amountCaptured: capture ? amount : 0 } as const;
    case 'declined':
      return { status: 'declined', declineCode: decision.declineCode, declineMessage: decision.declineMessage } as const;
    case 'challenge':
      return { status: 'requires_action', threeDsStatus: 'pending' } as const;
  }
}

function tokenAlreadyUsed(tokenId: string): SandboxError {
  return invalidRequest('token_already_used', `You cannot use a token more than once: '${tokenId}'.`, 'token');
}

/**
 * Acquirer -> scheme -> issuer, for `account` (a platform sub-merchant, or the platform). Safe to
 * run twice: the Idempotency-Key is unique in the table and every request goes through the same
 * insert-or-read-back path, so a retried or concurrent duplicate returns the payment the first
 * request recorded (the issuer decision is pure). A token is single use and only its own account
 * can charge it; another account is told it does not exist, as Stripe answers "No such token".
 */
export async function createPayment(
  input: CreatePaymentInput,
  idempotencyKey: string,
  account: Account,
): Promise<PaymentWithCard> {
  const hash = requestHash(input, account);
  // A retry is answered first: it is the same use of the token, whatever happened to it since.
  const existing = await findPaymentByIdempotencyKey(idempotencyKey);
  if (existing) return replay(existing, hash);
  const token = await findToken(input.token, account);
  if (!token) throw invalidRequest('resource_missing', `No such token: '${input.token}'`, 'token');
  // Only a fast refusal: the conditional update in insertPaymentUsingToken is what decides.
  if (token.usedByIdempotencyKey !== null && token.usedByIdempotencyKey !== idempotencyKey) throw tokenAlreadyUsed(token.id);
  const decision = askIssuer(token, false, input.offSession);
  const row: NewSandboxPayment = {
    id: `sbxpay_${randomToken(24)}`,
    idempotencyKey,
    requestHash: hash,
    tokenId: token.id,
    amount: input.amount,
    currency: input.currency,
    captureAutomatically: input.capture,
    returnUrl: input.returnUrl,
    offSession: input.offSession,
    threeDsStatus: 'not_required',
    ...outcomeColumns(decision, input.amount, input.capture),
  };
  const result = await insertPaymentUsingToken(row, token);
  if (result.kind === 'token_already_used') throw tokenAlreadyUsed(token.id);
  if (result.kind === 'inserted') {
    emitPaymentCallback({ payment: result.payment, token }); // a replay below changed nothing, so it sends none
    return { payment: result.payment, token };
  }
  const winner = await findPaymentByIdempotencyKey(idempotencyKey);
  if (!winner) throw new Error('idempotency conflict without a stored payment');
  return replay(winner, hash);
}

export async function getPayment(id: string): Promise<PaymentWithCard> {
  const found = await findPaymentWithCard(id);
  if (!found) throw notFound('payment', id);
  return found;
}

async function changeLockedPayment(
  id: string,
  change: (tx: Tx, payment: SandboxCardPayment) => Promise<SandboxCardPayment>,
): Promise<PaymentWithCard> {
  let changed = false;
  const payment = await withLockedPayment(id, async (tx, locked) => {
    const result = await change(tx, locked);
    changed = result !== locked; // an idempotent repeat returns the locked row as it was
    return result;
  });
  if (!payment) throw notFound('payment', id);
  const withItsCard = await withCard(payment);
  if (changed) emitPaymentCallback(withItsCard); // after the commit: the merchant may read it back at once
  return withItsCard;
}

/**
 * Captures an authorization, fully or partly. Safe to retry: capturing an already captured
 * payment with the same amount (or none) returns it unchanged.
 */
export async function capturePayment(id: string, amount: number | undefined): Promise<PaymentWithCard> {
  return changeLockedPayment(id, async (tx, payment) => {
    if (payment.status === 'captured' && (amount === undefined || amount === payment.amountCaptured)) return payment;
    if (payment.status !== 'authorized') throw unexpectedState(payment, 'captured');
    const amountToCapture = amount ?? payment.amount;
    if (amountToCapture > payment.amount) {
      throw invalidRequest('amount_too_large', 'The capture amount exceeds the authorized amount.', 'amount');
    }
    return transitionPayment(tx, payment, 'captured', { amountCaptured: amountToCapture });
  });
}

/** Releases an authorization or abandons a pending challenge. Canceling twice returns the same result. */
export async function cancelPayment(id: string): Promise<PaymentWithCard> {
  return changeLockedPayment(id, async (tx, payment) => {
    if (payment.status === 'canceled') return payment;
    if (payment.status !== 'authorized' && payment.status !== 'requires_action') throw unexpectedState(payment, 'canceled');
    return transitionPayment(tx, payment, 'canceled');
  });
}

export type ChallengeResult = 'succeeded' | 'failed';

/** The cardholder's answer to the 3-D Secure challenge; after a success the issuer decides. */
export async function completeChallenge(id: string, result: ChallengeResult): Promise<PaymentWithCard> {
  const found = await getPayment(id);
  return changeLockedPayment(id, async (tx, payment) => {
    if (payment.status !== 'requires_action') throw unexpectedState(payment, 'authenticated');
    if (result === 'failed') {
      return transitionPayment(tx, payment, 'declined', { threeDsStatus: 'failed', ...AUTHENTICATION_FAILED });
    }
    const { status, ...changes } = outcomeColumns(askIssuer(found.token, true), payment.amount, payment.captureAutomatically);
    return transitionPayment(tx, payment, status, { ...changes, threeDsStatus: 'succeeded' });
  });
}
