import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { getRefund, serializeRefund } from '@/lib/refunds';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: serializeRefund(await getRefund(merchant.id, params.id)) }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
