import { apiGet, apiPost, requireTx } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { createPrice, createPriceBody, listPrices, listPricesQuery, serializePrice } from '@/lib/catalog';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createPriceBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: serializePrice(await createPrice(requireTx(tx), merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listPrices(merchant.id, parseInput(listPricesQuery, Object.fromEntries(query))) }),
});
