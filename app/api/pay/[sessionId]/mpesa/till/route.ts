import { payPost } from '@/lib/http/public-routes';
import { startTillBody, startTillForSession } from '@/lib/checkout/till';

export const dynamic = 'force-dynamic';

/** Pay with Till: the customer names the phone they will pay from; the session then expects its amount from it. */
export const POST = payPost<typeof startTillBody, { sessionId: string }>({
  body: startTillBody,
  handler: async ({ params, body }) => ({ body: await startTillForSession({ sessionId: params.sessionId, phone: body.phone }) }),
});
