import type { PspCapabilities } from '../types';

/** The name Stripe is routed, recorded and stored under (payment_attempts.psp, psp_inbox.psp). */
export const STRIPE_PSP = 'stripe';

/**
 * Stripe (cards through PaymentIntents): every currency paykit knows is a Stripe presentment
 * currency; 3-D Secure comes back as requires_action; the charge answer is synchronous.
 */
export const STRIPE_CAPABILITIES: PspCapabilities = {
  methods: ['card'],
  currencies: ['usd', 'eur', 'gbp', 'kes', 'jpy'],
  asynchronous: false,
  threeDSecure: true,
  refunds: true,
};
