import { payCheckoutSession, payWithCardBody } from '@/lib/checkout/pay';
import { payPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** The hosted pay page's confirm call: the customer's browser, authenticated by the session id. */
export const POST = payPost<typeof payWithCardBody, { sessionId: string }>({
  body: payWithCardBody,
  handler: ({ params, body, customerIp, idempotencyKey }) =>
    payCheckoutSession({ sessionId: params.sessionId, token: body.token, email: body.email, customerIp, idempotencyKey }),
});
