import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { balanceJson } from '@/lib/wallet/api';

export const dynamic = 'force-dynamic';

export const GET = apiGet({ handler: async ({ merchant }) => ({ body: await balanceJson(merchant.id) }) });

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
