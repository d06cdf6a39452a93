import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { balanceTransactionJson } from '@/lib/wallet/api';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await balanceTransactionJson(merchant.id, params.id) }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
