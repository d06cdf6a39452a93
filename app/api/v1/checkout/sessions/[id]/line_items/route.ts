import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { listLineItemsQuery, listSessionLineItems } from '@/lib/checkout/sessions';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params, query }) => ({
    body: await listSessionLineItems(merchant.id, params.id, parseQuery(listLineItemsQuery, query)),
  }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
