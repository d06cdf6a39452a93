import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { getRefund, serializeRefund, updateRefund, updateRefundBody } from '@/lib/refunds';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: serializeRefund(await getRefund(merchant.id, params.id)) }),
});

export const POST = apiPost<typeof updateRefundBody, { id: string }>({
  body: updateRefundBody,
  effects: 'atomic',
  handler: async ({ merchant, params, body }, tx) => ({ body: serializeRefund(await updateRefund(requireTx(tx), merchant.id, params.id, body)) }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
