import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { retrieveProductJson, serializeProduct, updateProduct, updateProductBody } from '@/lib/catalog';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await retrieveProductJson(merchant.id, params.id) }),
});

export const POST = apiPost<typeof updateProductBody, { id: string }>({
  body: updateProductBody,
  effects: 'atomic',
  handler: async ({ merchant, params, body }, tx) => ({ body: serializeProduct(await updateProduct(requireTx(tx), merchant.id, params.id, body)) }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
