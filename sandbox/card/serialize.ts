import type { SandboxCardRefund, SandboxCardToken } from '@/db/schema';
import { env } from '@/lib/env';
import type { PaymentWithCard } from './payment-store';
import type { SandboxSettlementLine } from './settlements';

/** The wire format of the sandbox network (Stripe-like snake_case JSON). */

export function serializeCard(token: SandboxCardToken) {
  return {
    brand: token.brand,
    last4: token.last4,
    exp_month: token.expMonth,
    exp_year: token.expYear,
    fingerprint: token.fingerprint,
  };
}

/** What the browser gets back from the tokenizer: no fraud signal, that is for the acquirer's clients. */
export function serializeTokenForBrowser(token: SandboxCardToken) {
  return { id: token.id, object: 'token', used: token.usedAt !== null, reusable: token.reusable, card: serializeCard(token) } as const;
}

export function serializeTokenForAcquirer(token: SandboxCardToken) {
  return { ...serializeTokenForBrowser(token), risk_level: token.riskLevel };
}

export function challengeUrl(paymentId: string): string {
  return `${env().SANDBOX_CARD_URL}/sandbox/3ds/${encodeURIComponent(paymentId)}`;
}

export function serializePayment({ payment, token }: PaymentWithCard) {
  return {
    id: payment.id,
    object: 'payment',
    status: payment.status,
    amount: payment.amount,
    amount_captured: payment.amountCaptured,
    currency: payment.currency,
    capture: payment.captureAutomatically,
    card: serializeCard(token),
    return_url: payment.returnUrl,
    off_session: payment.offSession,
    created: Math.floor(payment.createdAt.getTime() / 1000),
    ...(payment.declineCode ? { decline_code: payment.declineCode } : {}),
    ...(payment.declineMessage ? { decline_message: payment.declineMessage } : {}),
    ...(payment.status === 'requires_action'
      ? { next_action: { type: 'redirect_to_url', redirect_url: challengeUrl(payment.id) } }
      : {}),
  } as const;
}

export function serializeRefund(refund: SandboxCardRefund) {
  return {
    id: refund.id,
    object: 'refund',
    payment: refund.paymentId,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
    ...(refund.failureReason ? { failure_reason: refund.failureReason } : {}),
    created: Math.floor(refund.createdAt.getTime() / 1000),
  } as const;
}

export function serializeSettlementLine(line: SandboxSettlementLine) {
  return {
    id: line.id,
    object: 'settlement_line',
    type: line.type,
    amount: line.amount,
    fee: line.fee,
    net: line.net,
    currency: line.currency,
    payment: line.paymentId,
    created: Math.floor(line.bookedAt.getTime() / 1000),
    available_on: Math.floor(line.availableOn.getTime() / 1000),
  } as const;
}
