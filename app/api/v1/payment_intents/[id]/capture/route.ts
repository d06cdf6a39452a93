import { expandResponse } from '@/lib/api-objects/expand';
import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { capturePaymentIntent, capturePaymentIntentBody } from '@/lib/payments/cancel-capture';
import { retrievePaymentIntentJson } from '@/lib/payments/intents';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof capturePaymentIntentBody, { id: string }>({
  body: capturePaymentIntentBody,
  effects: 'external',
  handler: async ({ merchant, params, body }) => {
    await capturePaymentIntent(merchant.id, params.id, body.amount_to_capture);
    return { body: await expandResponse(merchant.id, await retrievePaymentIntentJson(merchant.id, params.id), body.expand) };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
