import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { retrievePriceJson, serializePrice, updatePrice, updatePriceBody } from '@/lib/catalog';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await retrievePriceJson(merchant.id, params.id) }),
});

export const POST = apiPost<typeof updatePriceBody, { id: string }>({
  body: updatePriceBody,
  effects: 'atomic',
  handler: async ({ merchant, params, body }, tx) => ({ body: serializePrice(await updatePrice(requireTx(tx), merchant.id, params.id, body)) }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
