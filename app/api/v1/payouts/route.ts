import { apiGet } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { listPayoutsQuery, payoutsListJson } from '@/lib/payouts';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await payoutsListJson(merchant.id, parseInput(listPayoutsQuery, Object.fromEntries(query))) }),
});
