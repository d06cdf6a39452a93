import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { searchParams } from '@/lib/search';
import { searchCustomers } from '@/lib/search/resources';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await searchCustomers(merchant.id, parseQuery(searchParams, query)) }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
