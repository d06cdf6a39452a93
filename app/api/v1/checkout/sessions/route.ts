import { env } from '@/lib/env';
import { apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { createCheckoutSession, createCheckoutSessionBody } from '@/lib/checkout/sessions';
import { serializeCheckoutSession } from '@/lib/payments/serialize';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createCheckoutSessionBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => {
    const { session, paymentIntent } = await createCheckoutSession(requireTx(tx), merchant.id, body);
    return { body: serializeCheckoutSession(session, paymentIntent, env().APP_URL) };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
