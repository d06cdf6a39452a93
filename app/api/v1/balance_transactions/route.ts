import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { balanceTransactionsJson, listBalanceTransactionsQuery } from '@/lib/wallet/api';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await balanceTransactionsJson(merchant.id, parseQuery(listBalanceTransactionsQuery, query)),
  }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
