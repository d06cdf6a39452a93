import { z } from 'zod';
import { expandParam } from '@/lib/api-objects/expand-param';
import { parseAddress } from '@/lib/http/trust-proxy';

/**
 * How a payment method is given at confirmation, Stripe's way, beside a `payment_method` id:
 * `payment_method_data` creates the PaymentMethod from what the PSP's tokenizer returned. One
 * member per method type (a card token here; M-Pesa's phone is another member).
 */
export const paymentMethodDataParam = z.discriminatedUnion('type', [
  z.object({ type: z.literal('card'), card: z.object({ token: z.string().min(1).max(200) }).strict() }).strict(),
]);

/**
 * The confirmation parameters, in one place: POST /payment_intents/:id/confirm takes them, and
 * POST /payment_intents takes them beside `confirm: true`.
 */
export const confirmParams = {
  /** A PaymentMethod (`pm_`) or a card token of the PSP's tokenizer. */
  payment_method: z.string().min(1).max(200).optional(),
  payment_method_data: paymentMethodDataParam.optional(),
  receipt_email: z.string().email().max(320).optional(),
  return_url: z.string().url().max(2000).optional(),
  /**
   * The customer is not present: charge their saved card (a PaymentMethod attached to the
   * intent's customer). An issuer that wants 3-D Secure then declines (authentication_required).
   */
  off_session: z.boolean().optional(),
  /** The customer's IP, when the merchant confirms server-side on their behalf (risk rules). */
  customer_ip: z
    .string()
    .refine((v) => parseAddress(v) !== null, 'must be an IPv4 or IPv6 address')
    // stored as the risk rules compare it: ::ffff:1.2.3.4 is 1.2.3.4
    .transform((v) => parseAddress(v)!.toString())
    .optional(),
};

export const confirmPaymentIntentBody = z.object({ ...confirmParams, expand: expandParam }).strict();
export type ConfirmParams = z.output<z.ZodObject<typeof confirmParams>>;

