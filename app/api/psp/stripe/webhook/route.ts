import { notifyPspCallbackReceived } from '@/inngest/notify-callback';
import { receiveStripeWebhook } from '@/lib/inbox/stripe';
import { pspCallbackPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** Stripe's webhooks: verified on the raw body, stored once per evt_ id, answered at once; applied in the background. */
export const POST = pspCallbackPost(async ({ request, rawBody }) => {
  const stored = await receiveStripeWebhook({ rawBody, headers: request.headers }, notifyPspCallbackReceived);
  return { received: true, duplicate: stored.duplicate };
});
