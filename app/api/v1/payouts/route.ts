import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { listPayoutsQuery, payoutsListJson } from '@/lib/payouts';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await payoutsListJson(merchant.id, parseQuery(listPayoutsQuery, query)) }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
