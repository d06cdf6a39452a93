import { apiGet } from '@/lib/http/api';
import { retrievePaymentIntentJson } from '@/lib/payments/intents';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await retrievePaymentIntentJson(merchant.id, params.id) }),
});
