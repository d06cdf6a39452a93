import { apiGet } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { listLineItemsQuery, listSessionLineItems } from '@/lib/checkout/sessions';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params, query }) => ({
    body: await listSessionLineItems(merchant.id, params.id, parseInput(listLineItemsQuery, Object.fromEntries(query))),
  }),
});
