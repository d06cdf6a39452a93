import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createProduct, createProductBody, listProducts, listProductsQuery, serializeProduct } from '@/lib/catalog';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createProductBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: serializeProduct(await createProduct(requireTx(tx), merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listProducts(merchant.id, parseQuery(listProductsQuery, query)) }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
