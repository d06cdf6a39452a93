import { apiGet, apiPost, requireTx } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { pageQuery } from '@/lib/pagination';
import { createWebhookEndpoint, createWebhookEndpointBody, listWebhookEndpoints } from '@/lib/webhooks/endpoints';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createWebhookEndpointBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: await createWebhookEndpoint(requireTx(tx), merchant.id, body) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listWebhookEndpoints(merchant.id, parseInput(pageQuery, Object.fromEntries(query))) }),
});
