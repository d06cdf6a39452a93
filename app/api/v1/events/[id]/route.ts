import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { merchantEventJson } from '@/lib/events/query';
import { listDeliveriesForEvent } from '@/lib/webhooks/deliveries';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => {
    const event = await merchantEventJson(merchant.id, params.id);
    // our extension beside Stripe's fields: each delivery of the event and its attempts
    return { body: { ...event, deliveries: await listDeliveriesForEvent(event.id) } };
  },
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
