/** The name Stripe is routed, recorded and stored under (payment_attempts.psp, psp_inbox.psp). */
export const STRIPE_PSP = 'stripe';
