import { expandResponse } from '@/lib/api-objects/expand';
import { AppError } from '@/lib/errors';
import { retrieveWithClientSecret } from '@/lib/api-objects/payment-intent';
import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { retrievePaymentIntentJson, retrievePaymentIntentQuery, updatePaymentIntent, updatePaymentIntentBody } from '@/lib/payments/intents';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  // Stripe.js retrieves with the publishable key and the client secret
  publishable: true,
  handler: async ({ merchant, params, query, publishable }) => {
    const input = parseQuery(retrievePaymentIntentQuery, query);
    // the browser's view expands nothing: the expandable objects are the merchant's
    if (publishable && input.expand?.length) {
      throw new AppError('parameter_invalid', 'expand is not available with a publishable key.', { param: 'expand' });
    }
    const body = await retrieveWithClientSecret(merchant.id, params.id, input.client_secret, publishable);
    return { body: await expandResponse(merchant.id, body, input.expand) };
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
