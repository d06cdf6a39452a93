import { apiGet } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { disputesJson, listDisputesQuery } from '@/lib/disputes';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await disputesJson(merchant.id, parseInput(listDisputesQuery, Object.fromEntries(query))) }),
});
