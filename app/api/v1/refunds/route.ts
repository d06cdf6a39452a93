import { apiGet, apiPost, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createRefund, createRefundBody, listRefunds, listRefundsQuery, serializeRefund } from '@/lib/refunds';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createRefundBody,
  effects: 'external',
  lockMs: 120_000,
  handler: async ({ merchant, body }) => ({ body: serializeRefund(await createRefund(merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await listRefunds(merchant.id, parseQuery(listRefundsQuery, query)),
  }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
