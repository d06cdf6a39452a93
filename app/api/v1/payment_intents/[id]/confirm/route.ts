import { expandResponse } from '@/lib/api-objects/expand';
import { confirmPaymentIntentJson } from '@/lib/api-objects/payment-intent';
import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { confirmPaymentIntentBody } from '@/lib/payments/confirm';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof confirmPaymentIntentBody, { id: string }>({
  body: confirmPaymentIntentBody,
  effects: 'external',
  lockMs: 120_000,
  handler: async ({ merchant, params, body }) => {
    return { body: await expandResponse(merchant.id, await confirmPaymentIntentJson(merchant.id, params.id, body), body.expand) };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
