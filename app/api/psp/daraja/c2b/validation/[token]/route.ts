import { answerC2bValidation } from '@/lib/inbox/daraja-c2b';
import { pspCallbackPost } from '@/lib/http/public-routes';

export const dynamic = 'force-dynamic';

/** Daraja's C2B ValidationURL (Pay with Paybill): accept or reject the payment before M-Pesa takes the money. */
export const POST = pspCallbackPost<{ token: string }>(({ request, params, rawBody }) =>
  answerC2bValidation({ token: params.token, rawBody, headers: request.headers }),
);
