import { listCharges, listChargesQuery } from '@/lib/api-objects/charge';
import { expandResponse } from '@/lib/api-objects/expand';
import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => {
    const input = parseQuery(listChargesQuery, query);
    return { body: await expandResponse(merchant.id, await listCharges(merchant.id, input), input.expand) };
  },
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
