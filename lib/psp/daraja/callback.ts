import { z } from 'zod';
import { AppError } from '@/lib/errors';
import type { CallbackHint } from '@/lib/psp/types';

/**
 * Daraja's STK callback, as it arrives (unsigned): its shape, and what it names. Nothing in it is
 * trusted on its own; it only prompts an STK query (the adapter's resolve).
 */

const item = z.object({ Name: z.string(), Value: z.union([z.string(), z.number()]).optional() });
export const stkCallbackSchema = z.object({
  Body: z.object({
    stkCallback: z.object({
      MerchantRequestID: z.string().min(1).max(100),
      CheckoutRequestID: z.string().min(1).max(100),
      ResultCode: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
      ResultDesc: z.string().max(500),
      CallbackMetadata: z.object({ Item: z.array(item).max(20) }).optional(),
    }),
  }),
});

export interface ParsedStkCallback {
  merchantRequestId: string;
  checkoutRequestId: string;
  resultCode: number;
  resultDesc: string;
  amount?: number;
  receiptNumber?: string;
  transactionDate?: string;
  phone?: string;
}

export function parseStkCallback(rawBody: string): ParsedStkCallback {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError('body_invalid_json', 'The callback body is not valid JSON.');
  }
  const parsed = stkCallbackSchema.safeParse(json);
  if (!parsed.success) throw new AppError('parameter_invalid', 'The callback body is not an STK callback (Body.stkCallback).');
  const cb = parsed.data.Body.stkCallback;
  const meta = new Map((cb.CallbackMetadata?.Item ?? []).map((i) => [i.Name, i.Value]));
  const str = (name: string) => (meta.get(name) === undefined ? undefined : String(meta.get(name)));
  const amount = meta.get('Amount');
  const result: ParsedStkCallback = {
    merchantRequestId: cb.MerchantRequestID,
    checkoutRequestId: cb.CheckoutRequestID,
    resultCode: cb.ResultCode,
    resultDesc: cb.ResultDesc,
  };
  if (amount !== undefined && Number.isFinite(Number(amount))) result.amount = Number(amount);
  const receipt = str('MpesaReceiptNumber');
  if (receipt && /^[A-Z0-9]{6,20}$/.test(receipt)) result.receiptNumber = receipt;
  const date = str('TransactionDate');
  if (date) result.transactionDate = date;
  const phone = str('PhoneNumber');
  if (phone) result.phone = phone;
  return result;
}

/** An STK callback as a payment hint: which CheckoutRequestID, what it claims, its receipt. */
export function stkCallbackHint(rawBody: string): CallbackHint {
  const callback = parseStkCallback(rawBody);
  return {
    pspReference: callback.checkoutRequestId,
    claimed: callback.resultCode === 0 ? 'captured' : 'declined',
    ...(callback.receiptNumber ? { receiptNumber: callback.receiptNumber } : {}),
  };
}
