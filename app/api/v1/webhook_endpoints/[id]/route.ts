import { apiDelete, apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { deleteWebhookEndpoint, getWebhookEndpoint, serializeEndpoint, updateWebhookEndpoint, updateWebhookEndpointBody } from '@/lib/webhooks/endpoints';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: serializeEndpoint(await getWebhookEndpoint(merchant.id, params.id)) }),
});

export const DELETE = apiDelete<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await deleteWebhookEndpoint(merchant.id, params.id) }),
});

export const POST = apiPost<typeof updateWebhookEndpointBody, { id: string }>({
  body: updateWebhookEndpointBody,
  effects: 'atomic',
  handler: async ({ merchant, params, body }, tx) => ({ body: await updateWebhookEndpoint(requireTx(tx), merchant.id, params.id, body) }),
});
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
