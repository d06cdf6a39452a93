import { authenticationBody, authenticationResult } from '@/lib/checkout/pay';
import { payPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** The pay page asks, after its in-page 3-D Secure challenge, what the card network decided. */
export const POST = payPost<typeof authenticationBody, { sessionId: string }>({
  body: authenticationBody,
  handler: async ({ params }) => ({ body: await authenticationResult(params.sessionId) }),
});
