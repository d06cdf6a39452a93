import { apiGet } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { listEventsQuery, listMerchantEvents } from '@/lib/events/query';
import { serializeEvent } from '@/lib/webhooks/deliveries';

export const dynamic = 'force-dynamic';

export const GET = apiGet({
  handler: async ({ merchant, query }) => {
    const { rows, hasMore } = await listMerchantEvents(merchant.id, parseInput(listEventsQuery, Object.fromEntries(query)));
    return { body: { object: 'list', url: '/api/v1/events', has_more: hasMore, data: rows.map(serializeEvent) } };
  },
});
