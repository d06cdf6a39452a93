import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { getMerchantEvent } from '@/lib/events/query';
import { listDeliveriesForEvent, serializeEvent } from '@/lib/webhooks/deliveries';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => {
    const event = await getMerchantEvent(merchant.id, params.id);
    return { body: { ...serializeEvent(event), deliveries: await listDeliveriesForEvent(event.id) } };
  },
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
