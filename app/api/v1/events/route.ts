import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { listEventsQuery, listMerchantEvents } from '@/lib/events/query';
import { serializeEvent } from '@/lib/webhooks/deliveries';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => {
    const { rows, hasMore } = await listMerchantEvents(merchant.id, parseQuery(listEventsQuery, query));
    return { body: { object: 'list', url: '/api/v1/events', has_more: hasMore, data: rows.map(serializeEvent) } };
  },
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
