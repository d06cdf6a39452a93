import { notifyPspCallbackReceived } from '@/inngest/notify-callback';
import { receiveC2bConfirmation } from '@/lib/inbox/daraja-c2b';
import { pspCallbackPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** Daraja's C2B ConfirmationURL: token-checked, stored once, verified by Pull Transactions in the background. */
export const POST = pspCallbackPost<{ token: string }>(async ({ request, params, rawBody }) => {
  const stored = await receiveC2bConfirmation({ token: params.token, rawBody, headers: request.headers }, notifyPspCallbackReceived);
  return { ResultCode: 0, ResultDesc: 'Accepted', duplicate: stored.duplicate };
});
