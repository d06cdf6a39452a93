import type { AttemptStatus, PaymentIntentStatus } from '@/db/schema';

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

/**
 * The one table of allowed payment-attempt transitions. An attempt is open while it waits for its
 * outcome (pending at the PSP, requires_action with the customer); a cancel or capture claims it
 * (canceling / capturing) while it talks to the PSP, and gives it back if the PSP says no; a claim
 * left by a request that died may be taken over (the same status again, or capturing -> canceling).
 * A failed attempt whose PSP turns out to hold money is owed back (reversal_pending) until the PSP
 * confirms the void or refund (reversed) or that nothing is held (failed), unless the merchant
 * accepts late successes and its order is still open: then the PSP's charge is booked (succeeded).
 * succeeded, canceled and reversed are terminal.
 */
export const ATTEMPT_TRANSITIONS: Readonly<Record<AttemptStatus, readonly AttemptStatus[]>> = {
  pending: ['requires_action', 'authorized', 'succeeded', 'failed', 'reversal_pending'],
  requires_action: ['authorized', 'succeeded', 'failed', 'canceling', 'reversal_pending'],
  authorized: ['capturing', 'canceling'],
  capturing: ['succeeded', 'authorized', 'canceling', 'capturing'],
  canceling: ['canceled', 'authorized', 'requires_action', 'canceling'],
  // succeeded: only acceptLateSuccess, when a settlement report shows the PSP charged it and the
  // merchant accepts late successes for an order still open; otherwise the money is owed back.
  failed: ['reversal_pending', 'succeeded'],
  reversal_pending: ['reversed', 'failed'],
  succeeded: [],
  canceled: [],
  reversed: [],
};

/** Attempts still waiting for their outcome: sent to the PSP, or waiting for the customer. */
export const OPEN_ATTEMPT_STATUSES = ['pending', 'requires_action'] as const satisfies readonly AttemptStatus[];

/** Attempts a cancel or capture has claimed while it talks to the PSP. */
export const CLAIMED_ATTEMPT_STATUSES = ['canceling', 'capturing'] as const satisfies readonly AttemptStatus[];

export const TERMINAL_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['succeeded', 'canceled', 'reversed'];

export function isOpenAttemptStatus(status: AttemptStatus): boolean {
  return (OPEN_ATTEMPT_STATUSES as readonly AttemptStatus[]).includes(status);
}

export function canTransitionAttempt(from: AttemptStatus, to: AttemptStatus): boolean {
  return ATTEMPT_TRANSITIONS[from].includes(to);
}
