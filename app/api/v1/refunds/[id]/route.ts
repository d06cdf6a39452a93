import { apiGet } from '@/lib/http/api';
import { getRefund, serializeRefund } from '@/lib/refunds';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: serializeRefund(await getRefund(merchant.id, params.id)) }),
});
