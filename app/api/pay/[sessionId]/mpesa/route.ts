import { payGet, payPost } from '@/lib/http/public-routes';
import { mpesaStatusForSession, startMpesaBody, startMpesaForSession } from '@/lib/checkout/mpesa';

export const dynamic = 'force-dynamic';

/** Starts an M-Pesa (STK push) payment for the session: the customer's browser, authenticated by the session id. */
export const POST = payPost<typeof startMpesaBody, { sessionId: string }>({
  body: startMpesaBody,
  handler: ({ params, body, customerIp, idempotencyKey }) =>
    startMpesaForSession({ sessionId: params.sessionId, phone: body.phone, ...(body.email ? { email: body.email } : {}), customerIp, idempotencyKey }),
});

/** The pay page polls this every ~2 s while the customer answers the prompt on the phone. */
export const GET = payGet<{ sessionId: string }>(async ({ params }) => ({ body: await mpesaStatusForSession(params.sessionId) }));
