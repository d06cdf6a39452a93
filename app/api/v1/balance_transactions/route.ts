import { apiGet } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { balanceTransactionsJson, listBalanceTransactionsQuery } from '@/lib/wallet/api';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await balanceTransactionsJson(merchant.id, parseInput(listBalanceTransactionsQuery, Object.fromEntries(query))),
  }),
});
