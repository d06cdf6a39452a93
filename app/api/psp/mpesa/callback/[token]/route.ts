import { notifyPspCallbackReceived } from '@/inngest/notify-callback';
import { receiveMpesaCallback } from '@/lib/inbox/mpesa';
import { pspCallbackPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** Daraja's STK callbacks (unsigned): token-checked, shape-checked, stored once, answered at once; applied in the background. */
export const POST = pspCallbackPost<{ token: string }>(async ({ request, params, rawBody }) => {
  const stored = await receiveMpesaCallback({ token: params.token, rawBody, headers: request.headers }, notifyPspCallbackReceived);
  // Daraja's documented acknowledgement shape.
  return { ResultCode: 0, ResultDesc: 'Accepted', duplicate: stored.duplicate };
});
