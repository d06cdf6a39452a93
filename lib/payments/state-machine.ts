import type { PaymentIntentStatus } from '@/db/schema';

/**
 * The one table of allowed PaymentIntent transitions (Stripe's states). Anything not listed is
 * refused by transitionPaymentIntent. succeeded and canceled are terminal: nothing leaves them.
 */
export const PAYMENT_INTENT_TRANSITIONS: Readonly<Record<PaymentIntentStatus, readonly PaymentIntentStatus[]>> = {
  requires_payment_method: ['requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'requires_payment_method', 'canceled'],
  requires_confirmation: ['requires_action', 'processing', 'requires_capture', 'succeeded', 'requires_payment_method', 'canceled'],
  requires_action: ['processing', 'requires_capture', 'succeeded', 'requires_payment_method', 'canceled'],
  processing: ['requires_capture', 'succeeded', 'requires_payment_method'],
  requires_capture: ['succeeded', 'canceled'],
  succeeded: [],
  canceled: [],
};

export const TERMINAL_STATUSES: readonly PaymentIntentStatus[] = ['succeeded', 'canceled'];

/** States from which a customer or merchant may confirm (attach a payment method and pay). */
export const CONFIRMABLE_STATUSES: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];

/** States from which the merchant may cancel. */
export const CANCELABLE_STATUSES: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
];

export function isTerminal(status: PaymentIntentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: PaymentIntentStatus, to: PaymentIntentStatus): boolean {
  return PAYMENT_INTENT_TRANSITIONS[from].includes(to);
}
