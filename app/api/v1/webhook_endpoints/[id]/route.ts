import { apiDelete, apiGet, methodNotAllowed } from '@/lib/http/api';
import { deleteWebhookEndpoint, getWebhookEndpoint, serializeEndpoint } from '@/lib/webhooks/endpoints';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: serializeEndpoint(await getWebhookEndpoint(merchant.id, params.id)) }),
});

export const DELETE = apiDelete<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await deleteWebhookEndpoint(merchant.id, params.id) }),
});

export const POST = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
