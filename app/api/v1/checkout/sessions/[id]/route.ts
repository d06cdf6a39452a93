import { env } from '@/lib/env';
import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { retrieveCheckoutSessionJson } from '@/lib/checkout/sessions';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await retrieveCheckoutSessionJson(merchant.id, params.id, env().APP_URL) }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
