import { env } from '@/lib/env';
import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createCheckoutSession, createCheckoutSessionBody, listCheckoutSessions, listCheckoutSessionsQuery } from '@/lib/checkout/sessions';
import { serializeCheckoutSession } from '@/lib/payments/serialize';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createCheckoutSessionBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => {
    const { session, paymentIntent } = await createCheckoutSession(requireTx(tx), merchant.id, body, env().APP_URL);
    return { body: serializeCheckoutSession(session, paymentIntent, env().APP_URL) };
  },
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await listCheckoutSessions(merchant.id, parseQuery(listCheckoutSessionsQuery, query), env().APP_URL),
  }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
