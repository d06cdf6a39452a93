import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { getMerchantPayout, serializePayout } from '@/lib/payouts';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: serializePayout(await getMerchantPayout(merchant.id, params.id)) }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
