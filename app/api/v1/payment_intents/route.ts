import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createPaymentIntent, createPaymentIntentBody, listPaymentIntents, listPaymentIntentsQuery } from '@/lib/payments/intents';
import { serializePaymentIntent } from '@/lib/payments/serialize';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createPaymentIntentBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({
    body: serializePaymentIntent(await createPaymentIntent(requireTx(tx), merchant.id, body)),
  }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await listPaymentIntents(merchant.id, parseQuery(listPaymentIntentsQuery, query)),
  }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
