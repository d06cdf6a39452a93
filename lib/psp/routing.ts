import { SANDBOX_CARD_CAPABILITIES } from './sandbox-card';
import { STRIPE_CAPABILITIES } from './stripe/constants';
import type { PspCapabilities, PspError } from './types';

/**
 * Card routing, as pure decisions: which PSPs may charge a payment method, in the merchant's
 * order, and how to explain the choice on the attempt (payment_attempts.routing_reason).
 */

export const CARD_PSPS = ['sandbox_card', 'stripe'] as const;
export type CardPspName = (typeof CARD_PSPS)[number];

/** Used when the merchant saved no preference: the offline network first, Stripe when configured. */
export const DEFAULT_CARD_ROUTE: readonly CardPspName[] = ['sandbox_card', 'stripe'];

export const isCardPspName = (name: string): name is CardPspName => (CARD_PSPS as readonly string[]).includes(name);

/** What each card PSP declares it can do (the adapters' own `capabilities`). */
export const CARD_PSP_CAPABILITIES: Readonly<Record<CardPspName, PspCapabilities>> = {
  sandbox_card: SANDBOX_CARD_CAPABILITIES,
  stripe: STRIPE_CAPABILITIES,
};

/** Why a PSP cannot charge a card payment in this currency, or null when it can. */
export function capabilityGap(capabilities: PspCapabilities, currency: string | undefined): string | null {
  if (!capabilities.methods.includes('card')) return 'does not take cards';
  if (currency !== undefined && !capabilities.currencies.includes(currency.toLowerCase())) return `does not support ${currency.toUpperCase()}`;
  return null;
}

/**
 * A token belongs to the PSP that issued it: a sandbox tok_ cannot be charged at Stripe, a
 * Stripe pm_ id (other than the shared pm_card_* test ids) not at the sandbox. A sandbox card on
 * file (card_, a saved card) is charged only where it was saved, never failed over elsewhere.
 */
export function acceptsPaymentMethod(psp: CardPspName, paymentMethod: string): boolean {
  if (psp === 'sandbox_card') return paymentMethod.startsWith('tok_') || paymentMethod.startsWith('pm_card_') || paymentMethod.startsWith('card_');
  return paymentMethod.startsWith('pm_');
}

export interface CardRoutePlan {
  /** The PSPs to try, in order; the first one that can be reached charges. */
  order: CardPspName[];
  /** Why the others were left out (for the routing reason). */
  skipped: string[];
}

/** Any method's plan: the PSPs to try in order, why others were left out, and which method it is for. */
export interface RoutePlan {
  method: string;
  order: string[];
  skipped: string[];
}

export function planCardRoute(input: {
  preference: readonly string[] | null | undefined;
  /** Reason a PSP is disabled (e.g. "STRIPE_SECRET_KEY is not set"), or null when enabled. */
  disabled: (psp: CardPspName) => string | null;
  paymentMethod: string;
  /** The payment's currency; a PSP whose capabilities lack it is skipped. */
  currency?: string;
  /** The PSPs' declared capabilities (default: CARD_PSP_CAPABILITIES). */
  capabilities?: (psp: CardPspName) => PspCapabilities;
  /** true: no token yet (the pay page choosing its card form): skip the token check. */
  acceptsAnyToken?: boolean;
}): CardRoutePlan {
  const capabilitiesOf = input.capabilities ?? ((psp: CardPspName) => CARD_PSP_CAPABILITIES[psp]);
  const preference = (input.preference?.length ? input.preference : DEFAULT_CARD_ROUTE).filter(isCardPspName);
  const order: CardPspName[] = [];
  const skipped: string[] = [];
  for (const psp of new Set(preference)) {
    const disabledBecause = input.disabled(psp);
    const gap = capabilityGap(capabilitiesOf(psp), input.currency);
    if (disabledBecause) skipped.push(`${psp} disabled (${disabledBecause})`);
    else if (gap) skipped.push(`${psp} ${gap}`);
    else if (!input.acceptsAnyToken && !acceptsPaymentMethod(psp, input.paymentMethod)) skipped.push(`${psp} cannot charge this payment method`);
    else order.push(psp);
  }
  return { order, skipped };
}

/**
 * A non-card method's plan: the merchant's order for it (or the default), minus disabled PSPs and
 * PSPs that do not take the method. Currency and amount are the method adapter's own check
 * (assertCanCharge), which explains a refusal in the method's terms.
 */
export function planMethodRoute(input: {
  method: string;
  preference: readonly string[] | null | undefined;
  defaults: readonly string[];
  disabled: (psp: string) => string | null;
}): RoutePlan {
  const preference = (input.preference?.length ? input.preference : input.defaults).filter((psp) => input.defaults.includes(psp));
  const order: string[] = [];
  const skipped: string[] = [];
  for (const psp of new Set(preference)) {
    const disabledBecause = input.disabled(psp);
    if (disabledBecause) skipped.push(`${psp} disabled (${disabledBecause})`);
    else order.push(psp);
  }
  return { method: input.method, order, skipped };
}

/** The reason recorded when the first PSP in the plan is used. */
export function describeRoute(plan: Pick<RoutePlan, 'order' | 'skipped'> & { method?: string }, chosen: string, failures: readonly string[]): string {
  const head =
    failures.length > 0
      ? `${failures.join('; ')}; failed over to ${chosen}`
      : `routed to ${chosen} (first in the merchant's ${plan.method ?? 'card'} order: ${plan.order.join(', ')})`;
  return plan.skipped.length > 0 ? `${head}; ${plan.skipped.join('; ')}` : head;
}

/** One line for a PSP that could not be reached before the request left. */
export function describeUnreachable(psp: string, err: PspError): string {
  const detail = /circuit open/.test(err.message) ? 'circuit open' : (/\(([^)]+)\)\s*$/.exec(err.message)?.[1] ?? err.kind);
  return `${psp} unreachable (${detail === 'ECONNREFUSED' ? 'connection refused' : detail})`;
}

/** Only a request that never left may go to another PSP; anything else could have charged. */
export const mayFailOver = (err: PspError): boolean => !err.requestSent && err.kind === 'unreachable';
