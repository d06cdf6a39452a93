import { retrieveChargeJson, retrieveChargeQuery } from '@/lib/api-objects/charge';
import { expandResponse } from '@/lib/api-objects/expand';
import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params, query }) => {
    const input = parseQuery(retrieveChargeQuery, query);
    return { body: await expandResponse(merchant.id, await retrieveChargeJson(merchant.id, params.id), input.expand) };
  },
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
