import { listDeadLettersQuery, listMerchantDeadLetters } from '@/lib/dead-letters';
import { apiGet } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({ body: await listMerchantDeadLetters(merchant.id, parseInput(listDeadLettersQuery, Object.fromEntries(query))) }),
});
