import { expandResponse } from '@/lib/api-objects/expand';
import { createAndConfirmPaymentIntent } from '@/lib/api-objects/payment-intent';
import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createPaymentIntent, createPaymentIntentBody, listPaymentIntents, listPaymentIntentsQuery } from '@/lib/payments/intents';
import { serializePaymentIntent } from '@/lib/payments/serialize';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createPaymentIntentBody,
  // confirm: true calls the PSP after the intent's own transaction
  effects: (body) => (body.confirm ? 'external' : 'atomic'),
  handler: async ({ merchant, body }, tx) => {
    if (!body.confirm) {
      return { body: await expandResponse(merchant.id, serializePaymentIntent(await createPaymentIntent(requireTx(tx), merchant.id, body)), body.expand) };
    }
    return { body: await expandResponse(merchant.id, await createAndConfirmPaymentIntent(merchant.id, body), body.expand) };
  },
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => {
    const input = parseQuery(listPaymentIntentsQuery, query);
    return { body: await expandResponse(merchant.id, await listPaymentIntents(merchant.id, input), input.expand) };
  },
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
