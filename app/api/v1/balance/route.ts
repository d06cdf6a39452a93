import { apiGet } from '@/lib/http/api';
import { balanceJson } from '@/lib/wallet/api';

export const dynamic = 'force-dynamic';

export const GET = apiGet({ handler: async ({ merchant }) => ({ body: await balanceJson(merchant.id) }) });
