import { getAttempt } from '@/lib/payments/intents';
import { getDb } from '@/db/client';
import { findSessionForCustomer, isExpired, successUrlFor } from './sessions';

export interface PayPageView {
  sessionId: string;
  status: 'open' | 'complete' | 'expired';
  merchantName: string;
  /**
   * The account the card network binds this page's card tokens to (the Sandbox-Account header):
   * the merchant, so only the merchant this session pays can charge them.
   */
  cardAccount: string;
  amountTotal: number;
  currency: string;
  lineItems: { name: string; quantity: number; unit_amount: number; amount_total: number }[];
  customerEmail: string | null;
  successUrl: string;
  cancelUrl: string;
  expiresAt: string;
  paymentStatus: string;
  lastError: { code: string; decline_code?: string; message: string } | null;
  card: { brand: string; last4: string } | null;
}

/** Everything the hosted pay page shows; null for an unknown session. */
export async function loadPayPage(sessionId: string): Promise<PayPageView | null> {
  const row = await findSessionForCustomer(sessionId);
  if (!row) return null;
  const { session, pi, merchantName } = row;
  const attempt = await getAttempt(getDb(), pi.latestAttemptId);
  const paid = attempt && (attempt.status === 'succeeded' || attempt.status === 'authorized');
  const error = pi.lastPaymentError;
  return {
    sessionId: session.id,
    status: isExpired(session) ? 'expired' : session.status,
    merchantName,
    cardAccount: session.merchantId,
    amountTotal: session.amountTotal,
    currency: session.currency,
    lineItems: session.lineItems,
    customerEmail: session.customerEmail ?? pi.customerEmail,
    successUrl: successUrlFor(session),
    cancelUrl: session.cancelUrl,
    expiresAt: session.expiresAt.toISOString(),
    paymentStatus: pi.status,
    lastError:
      error && pi.status === 'requires_payment_method'
        ? { code: error.code, message: error.message, ...(error.decline_code ? { decline_code: error.decline_code } : {}) }
        : null,
    card: paid && attempt.card ? { brand: attempt.card.brand, last4: attempt.card.last4 } : null,
  };
}
