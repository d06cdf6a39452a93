import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createPrice, createPriceBody, listPrices, listPricesQuery, serializePrice } from '@/lib/catalog';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createPriceBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: serializePrice(await createPrice(requireTx(tx), merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listPrices(merchant.id, parseQuery(listPricesQuery, query)) }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
