import { apiGet, apiPost, requireTx } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { createWebhookEndpoint, createWebhookEndpointBody, listWebhookEndpoints } from '@/lib/webhooks/endpoints';
import { z } from 'zod';

export const dynamic = 'force-dynamic';

const listQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(10), starting_after: z.string().min(1).max(100).optional() })
  .strict();

export const POST = apiPost({
  body: createWebhookEndpointBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: await createWebhookEndpoint(requireTx(tx), merchant.id, body) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listWebhookEndpoints(merchant.id, parseInput(listQuery, Object.fromEntries(query))) }),
});
