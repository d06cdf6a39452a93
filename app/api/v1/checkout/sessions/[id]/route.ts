import { env } from '@/lib/env';
import { apiGet } from '@/lib/http/api';
import { retrieveCheckoutSessionJson } from '@/lib/checkout/sessions';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await retrieveCheckoutSessionJson(merchant.id, params.id, env().APP_URL) }),
});
