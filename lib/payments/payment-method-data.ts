import { z } from 'zod';

/**
 * `payment_method_data` of a confirm: a payment method given inline instead of a
 * `payment_method` id. Our extension to Stripe's API: M-Pesa, by the payer's phone number
 * (normalized and checked by the Daraja adapter).
 */
export const mpesaPaymentMethodData = z
  .object({
    type: z.literal('mpesa'),
    mpesa: z.object({ phone: z.string().trim().min(1, 'Enter the M-Pesa phone number.').max(40) }).strict(),
  })
  .strict();
export type MpesaPaymentMethodData = z.output<typeof mpesaPaymentMethodData>;
