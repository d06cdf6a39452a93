import { expandResponse } from '@/lib/api-objects/expand';
import { withCardErrorIntent } from '@/lib/api-objects/payment-intent';
import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { confirmPaymentIntentBody, confirmWithParams } from '@/lib/payments/confirm';
import { retrievePaymentIntentJson } from '@/lib/payments/intents';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof confirmPaymentIntentBody, { id: string }>({
  body: confirmPaymentIntentBody,
  effects: 'external',
  lockMs: 120_000,
  handler: async ({ merchant, params, body }) => {
    await withCardErrorIntent(merchant.id, params.id, () => confirmWithParams(merchant.id, params.id, body));
    return { body: await expandResponse(merchant.id, await retrievePaymentIntentJson(merchant.id, params.id), body.expand) };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
