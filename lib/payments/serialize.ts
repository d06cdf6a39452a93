import { chargeIdOf } from '@/lib/api-objects/charge-id';
import type { CheckoutSession, PaymentAttempt, PaymentIntent } from '@/db/schema';

const unix = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/**
 * Stripe's PaymentIntent object (every required field of the SDK's Stripe.PaymentIntent), plus our
 * extensions: latest_attempt, checkout_session, amount_refunded. `latest_charge` is the latest
 * attempt seen as a charge; `payment_method` the PaymentMethod (`pm_`) it is confirmed with.
 * livemode is false: every API key is a test key (lib/auth/api-keys createSecretKey).
 */
export function serializePaymentIntent(pi: PaymentIntent, latestAttempt?: PaymentAttempt | null, amountRefunded = 0) {
  return {
    id: pi.id,
    object: 'payment_intent' as const,
    allowed_payment_method_types: pi.automaticPaymentMethods?.enabled ? null : pi.paymentMethodTypes,
    amount: pi.amount,
    amount_capturable: pi.amountCapturable,
    amount_received: pi.amountReceived,
    amount_refunded: amountRefunded,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: pi.automaticPaymentMethods ?? null,
    canceled_at: unix(pi.canceledAt),
    cancellation_reason: pi.cancellationReason,
    capture_method: pi.captureMethod,
    client_secret: pi.clientSecret,
    confirmation_method: 'automatic' as const,
    created: unix(pi.createdAt),
    currency: pi.currency,
    customer: pi.customerId,
    customer_account: null,
    description: pi.description,
    excluded_payment_method_types: null,
    last_payment_error: pi.lastPaymentError ?? null,
    latest_charge: pi.latestAttemptId ? chargeIdOf(pi.latestAttemptId) : null,
    livemode: false,
    managed_payments: null,
    metadata: pi.metadata,
    next_action: pi.status === 'requires_action' ? (latestAttempt?.nextAction ?? null) : null,
    on_behalf_of: null,
    payment_method: pi.paymentMethodId ?? latestAttempt?.paymentMethodId ?? null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: pi.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: pi.customerEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: pi.statementDescriptor,
    statement_descriptor_suffix: null,
    status: pi.status,
    transfer_data: null,
    transfer_group: null,
    // ours
    latest_attempt: pi.latestAttemptId,
    checkout_session: pi.checkoutSessionId,
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
