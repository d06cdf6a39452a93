import { apiGet } from '@/lib/http/api';
import { disputeJson } from '@/lib/disputes';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await disputeJson(merchant.id, params.id) }),
});
