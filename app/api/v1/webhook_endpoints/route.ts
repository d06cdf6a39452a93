import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { pageQuery } from '@/lib/pagination';
import { createWebhookEndpoint, createWebhookEndpointBody, listWebhookEndpoints } from '@/lib/webhooks/endpoints';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createWebhookEndpointBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: await createWebhookEndpoint(requireTx(tx), merchant.id, body) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listWebhookEndpoints(merchant.id, parseQuery(pageQuery, query)) }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
