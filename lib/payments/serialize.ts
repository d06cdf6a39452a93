import type { CheckoutSession, PaymentAttempt, PaymentIntent } from '@/db/schema';

const unix = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

export function serializePaymentIntent(pi: PaymentIntent, latestAttempt?: PaymentAttempt | null, amountRefunded = 0) {
  return {
    id: pi.id,
    object: 'payment_intent' as const,
    amount: pi.amount,
    amount_capturable: pi.amountCapturable,
    amount_received: pi.amountReceived,
    amount_refunded: amountRefunded,
    currency: pi.currency,
    status: pi.status,
    capture_method: pi.captureMethod,
    description: pi.description,
    receipt_email: pi.customerEmail,
    metadata: pi.metadata,
    last_payment_error: pi.lastPaymentError ?? null,
    latest_attempt: pi.latestAttemptId,
    payment_method: latestAttempt?.card
      ? { type: 'card', card: { brand: latestAttempt.card.brand, last4: latestAttempt.card.last4, fingerprint: latestAttempt.card.fingerprint } }
      : null,
    next_action: pi.status === 'requires_action' ? (latestAttempt?.nextAction ?? null) : null,
    checkout_session: pi.checkoutSessionId,
    cancellation_reason: pi.cancellationReason,
    canceled_at: unix(pi.canceledAt),
    created: unix(pi.createdAt),
  };
}
export type PaymentIntentJson = ReturnType<typeof serializePaymentIntent>;

export function serializeAttempt(a: PaymentAttempt) {
  return {
    id: a.id,
    object: 'payment_attempt' as const,
    payment_intent: a.paymentIntentId,
    status: a.status,
    amount: a.amount,
    currency: a.currency,
    psp: a.psp,
    routing_reason: a.routingReason,
    psp_reference: a.pspReference,
    payment_method_type: a.paymentMethodType,
    card: a.card ? { brand: a.card.brand, last4: a.card.last4 } : null,
    risk: { decision: a.riskDecision, reasons: a.riskReasons },
    failure_code: a.failureCode,
    decline_code: a.declineCode,
    failure_message: a.failureMessage,
    reversal_reason: a.reversalReason,
    created: unix(a.createdAt),
  };
}

/** The methods a session offers: those the merchant named (payment_method_types), else all its currency allows. */
export function sessionPaymentMethodTypes(cs: Pick<CheckoutSession, 'paymentMethodTypes' | 'currency'>): string[] {
  return cs.paymentMethodTypes ?? (cs.currency === 'kes' ? ['card', 'mpesa'] : ['card']);
}

/**
 * Stripe's Checkout Session object. `line_items` stays on the object as paykit's older sessions
 * carried it (an array); Stripe's list of line items is GET /v1/checkout/sessions/:id/line_items.
 */
export function serializeCheckoutSession(cs: CheckoutSession, pi: PaymentIntent, appUrl: string) {
  return {
    id: cs.id,
    object: 'checkout.session' as const,
    mode: 'payment' as const,
    url: cs.status === 'open' ? `${appUrl}/pay/${cs.id}` : null,
    status: cs.status,
    payment_status: pi.status === 'succeeded' || pi.status === 'requires_capture' ? ('paid' as const) : ('unpaid' as const),
    payment_intent: cs.paymentIntentId,
    amount_subtotal: cs.amountTotal,
    amount_total: cs.amountTotal,
    currency: cs.currency,
    line_items: cs.lineItems,
    customer: cs.customerId,
    customer_email: cs.customerEmail,
    customer_details: cs.customerEmail ? { email: cs.customerEmail } : null,
    client_reference_id: cs.clientReferenceId,
    payment_method_types: sessionPaymentMethodTypes(cs),
    success_url: cs.successUrl,
    cancel_url: cs.cancelUrl,
    metadata: cs.metadata,
    livemode: false,
    expires_at: unix(cs.expiresAt),
    created: unix(cs.createdAt),
  };
}
