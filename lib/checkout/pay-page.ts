import { getAttempt } from '@/lib/payments/intents';
import { sessionPaymentMethodTypes } from '@/lib/payments/serialize';
import { cardBrandName } from '@/lib/receipts/method-label';
import { getDb } from '@/db/client';
import type { LineItemJson } from '@/db/schema';
import { findSessionForCustomer, isExpired, successUrlFor } from './sessions';

export interface PayPageView {
  sessionId: string;
  status: 'open' | 'complete' | 'expired';
  /**
   * Why a session that can no longer be paid closed: it ran out of time (or was abandoned), or the
   * merchant canceled its payment. Both store the session as 'expired', but say different things.
   */
  closedReason: 'expired' | 'canceled' | null;
  /**
   * A 3-D Secure challenge is open for this session (requires_action): where it continues. The
   * page then says verification is pending rather than offering a second payment.
   */
  pendingAuthenticationUrl: string | null;
  merchantName: string;
  /**
   * The account the card network binds this page's card tokens to (the Sandbox-Account header):
   * the merchant, so only the merchant this session pays can charge them.
   */
  cardAccount: string;
  amountTotal: number;
  currency: string;
  lineItems: LineItemJson[];
  /** The methods the session offers (payment_method_types, else all the currency allows). */
  paymentMethodTypes: string[];
  customerEmail: string | null;
  successUrl: string;
  cancelUrl: string;
  expiresAt: string;
  paymentStatus: string;
  lastError: { code: string; decline_code?: string; message: string } | null;
  /** brandName is how people write it ("Visa"). */
  card: { brand: string; brandName: string; last4: string } | null;
}

/** Everything the hosted pay page shows; null for an unknown session. */
export async function loadPayPage(sessionId: string): Promise<PayPageView | null> {
  const row = await findSessionForCustomer(sessionId);
  if (!row) return null;
  const { session, pi, merchantName } = row;
  const attempt = await getAttempt(getDb(), pi.latestAttemptId);
  const paid = attempt && (attempt.status === 'succeeded' || attempt.status === 'authorized');
  const error = pi.lastPaymentError;
  const status = isExpired(session) ? 'expired' : session.status;
  const pendingUrl = pi.status === 'requires_action' && attempt?.status === 'requires_action' ? attempt.nextAction?.redirect_to_url.url : undefined;
  return {
    sessionId: session.id,
    status,
    closedReason: status !== 'expired' ? null : pi.status === 'canceled' && pi.cancellationReason !== 'abandoned' ? 'canceled' : 'expired',
    pendingAuthenticationUrl: status === 'open' && pendingUrl ? pendingUrl : null,
    merchantName,
    cardAccount: session.merchantId,
    amountTotal: session.amountTotal,
    currency: session.currency,
    lineItems: session.lineItems,
    paymentMethodTypes: sessionPaymentMethodTypes(session),
    customerEmail: session.customerEmail ?? pi.customerEmail,
    successUrl: successUrlFor(session),
    cancelUrl: session.cancelUrl,
    expiresAt: session.expiresAt.toISOString(),
    paymentStatus: pi.status,
    lastError:
      error && pi.status === 'requires_payment_method'
        ? { code: error.code, message: error.message, ...(error.decline_code ? { decline_code: error.decline_code } : {}) }
        : null,
    card: paid && attempt.card ? { brand: attempt.card.brand, brandName: cardBrandName(attempt.card.brand), last4: attempt.card.last4 } : null,
  };
}
