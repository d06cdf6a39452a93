import { expandResponse } from '@/lib/api-objects/expand';
import { retrieveWithClientSecret } from '@/lib/api-objects/payment-intent';
import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { retrievePaymentIntentJson, retrievePaymentIntentQuery, updatePaymentIntent, updatePaymentIntentBody } from '@/lib/payments/intents';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params, query }) => {
    const input = parseQuery(retrievePaymentIntentQuery, query);
    return { body: await expandResponse(merchant.id, await retrieveWithClientSecret(merchant.id, params.id, input.client_secret), input.expand) };
  },
});

export const POST = apiPost<typeof updatePaymentIntentBody, { id: string }>({
  body: updatePaymentIntentBody,
  effects: 'atomic',
  handler: async ({ merchant, params, body }, tx) => {
    await updatePaymentIntent(requireTx(tx), merchant.id, params.id, body);
    return { body: await expandResponse(merchant.id, await retrievePaymentIntentJson(merchant.id, params.id, requireTx(tx)), body.expand) };
  },
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
