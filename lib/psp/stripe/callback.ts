import { PspError, type CallbackHint } from '../types';
import { toPspPayment } from './adapter';

/** The Stripe webhook events about a PaymentIntent (others are refunds, disputes, or not ours to read). */
export const STRIPE_PAYMENT_EVENTS: ReadonlySet<string> = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.requires_action',
  'payment_intent.canceled',
  'payment_intent.amount_capturable_updated',
]);

/** A stored (signature-checked) Stripe event as a payment hint; null for events about anything else. */
export function stripeCallbackHint(rawBody: string): CallbackHint | null {
  const event = JSON.parse(rawBody) as { type: string; data: { object: Parameters<typeof toPspPayment>[0] } };
  if (!STRIPE_PAYMENT_EVENTS.has(event.type)) return null;
  const pi = event.data.object;
  const key = pi.metadata?.paykit_idempotency_key;
  const hint: CallbackHint = { pspReference: pi.id, ...(key ? { idempotencyKey: key } : {}) };
  try {
    return { ...hint, claimed: toPspPayment(pi).status };
  } catch (err) {
    if (err instanceof PspError) return hint; // "processing": no claim to check
    throw err;
  }
}
