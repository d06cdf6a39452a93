import { notifyPspCallbackReceived } from '@/inngest/notify-callback';
import { receiveDarajaResult } from '@/lib/inbox/daraja-results';
import { pspCallbackPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** Daraja's queue timeouts (QueueTimeOutURL) of reversals, B2C and Transaction Status: token-checked, stored once, applied in the background. */
export const POST = pspCallbackPost<{ token: string }>(async ({ request, params, rawBody }) => {
  const stored = await receiveDarajaResult({ token: params.token, via: 'timeout', rawBody, headers: request.headers }, notifyPspCallbackReceived);
  return { ResultCode: 0, ResultDesc: 'Accepted', duplicate: stored.duplicate };
});
