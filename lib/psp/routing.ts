import type { PspError } from './types';

/**
 * Card routing, as pure decisions: which PSPs may charge a payment method, in the merchant's
 * order, and how to explain the choice on the attempt (payment_attempts.routing_reason).
 */

export const CARD_PSPS = ['sandbox_card', 'stripe'] as const;
export type CardPspName = (typeof CARD_PSPS)[number];

/** Used when the merchant saved no preference: the offline network first, Stripe when configured. */
export const DEFAULT_CARD_ROUTE: readonly CardPspName[] = ['sandbox_card', 'stripe'];

export const isCardPspName = (name: string): name is CardPspName => (CARD_PSPS as readonly string[]).includes(name);

/**
 * A token belongs to the PSP that issued it: a sandbox tok_ cannot be charged at Stripe, a
 * Stripe pm_ id (other than the shared pm_card_* test ids) not at the sandbox.
 */
export function acceptsPaymentMethod(psp: CardPspName, paymentMethod: string): boolean {
  if (psp === 'sandbox_card') return paymentMethod.startsWith('tok_') || paymentMethod.startsWith('pm_card_');
  return paymentMethod.startsWith('pm_');
}

export interface CardRoutePlan {
  /** The PSPs to try, in order; the first one that can be reached charges. */
  order: CardPspName[];
  /** Why the others were left out (for the routing reason). */
  skipped: string[];
}

export function planCardRoute(input: {
  preference: readonly string[] | null | undefined;
  /** Reason a PSP is disabled (e.g. "STRIPE_SECRET_KEY is not set"), or null when enabled. */
  disabled: (psp: CardPspName) => string | null;
  paymentMethod: string;
}): CardRoutePlan {
  const preference = (input.preference?.length ? input.preference : DEFAULT_CARD_ROUTE).filter(isCardPspName);
  const order: CardPspName[] = [];
  const skipped: string[] = [];
  for (const psp of new Set(preference)) {
    const disabledBecause = input.disabled(psp);
    if (disabledBecause) skipped.push(`${psp} disabled (${disabledBecause})`);
    else if (!acceptsPaymentMethod(psp, input.paymentMethod)) skipped.push(`${psp} cannot charge this payment method`);
    else order.push(psp);
  }
  return { order, skipped };
}

/** The reason recorded when the first PSP in the plan is used. */
export function describeRoute(plan: CardRoutePlan, chosen: string, failures: readonly string[]): string {
  const head = failures.length > 0 ? `${failures.join('; ')}; failed over to ${chosen}` : `routed to ${chosen} (first in the merchant's card order: ${plan.order.join(', ')})`;
  return plan.skipped.length > 0 ? `${head}; ${plan.skipped.join('; ')}` : head;
}

/** One line for a PSP that could not be reached before the request left. */
export function describeUnreachable(psp: string, err: PspError): string {
  const detail = /circuit open/.test(err.message) ? 'circuit open' : (/\(([^)]+)\)\s*$/.exec(err.message)?.[1] ?? err.kind);
  return `${psp} unreachable (${detail === 'ECONNREFUSED' ? 'connection refused' : detail})`;
}

/** Only a request that never left may go to another PSP; anything else could have charged. */
export const mayFailOver = (err: PspError): boolean => !err.requestSent && err.kind === 'unreachable';
