import { expandResponse } from '@/lib/api-objects/expand';
import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { cancelPaymentIntent, cancelPaymentIntentBody } from '@/lib/payments/cancel-capture';
import { retrievePaymentIntentJson } from '@/lib/payments/intents';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof cancelPaymentIntentBody, { id: string }>({
  body: cancelPaymentIntentBody,
  effects: 'external',
  handler: async ({ merchant, params, body }) => {
    await cancelPaymentIntent(merchant.id, params.id, body.cancellation_reason);
    return { body: await expandResponse(merchant.id, await retrievePaymentIntentJson(merchant.id, params.id), body.expand) };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
