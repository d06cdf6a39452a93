import { notifyPspCallbackReceived } from '@/inngest/notify-callback';
import { receiveSandboxCallback } from '@/lib/inbox/receive';
import { pspCallbackPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** The sandbox card network's signed callbacks: verified, stored once, answered at once; applied in the background (closed here when no news). */
export const POST = pspCallbackPost(async ({ request, rawBody }) => {
  const stored = await receiveSandboxCallback({ rawBody, headers: request.headers }, notifyPspCallbackReceived);
  return { received: true, duplicate: stored.duplicate };
});
