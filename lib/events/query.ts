import { and, eq, inArray, like, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { outboxEvents, type OutboxEvent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { createdCondition, createdParam, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { EVENT_TYPES } from './outbox';
import { serializeEvents, type EventObject } from './serialize';

/** One event type, or a family of them as Stripe's `type` filter allows (`payment_intent.*`). */
const eventTypeFilter = z
  .string()
  .max(100)
  .refine(
    (t) => (EVENT_TYPES as readonly string[]).includes(t) || (t.endsWith('.*') && EVENT_TYPES.some((known) => known.startsWith(t.slice(0, -1)))),
    'must be an event type, or a prefix with a wildcard such as payment_intent.*',
  );

export const listEventsQuery = z
  .object({
    ...pageParams,
    type: eventTypeFilter.optional(),
    types: z.array(z.enum(EVENT_TYPES)).min(1).max(20).optional(),
    created: createdParam.optional(),
  })
  .strict()
  .superRefine(oneCursor)
  .superRefine((q, ctx) => {
    if (q.type !== undefined && q.types !== undefined) ctx.addIssue({ code: 'custom', path: ['types'], message: 'cannot be combined with type' });
  });

export async function getMerchantEvent(merchantId: string, id: string): Promise<OutboxEvent> {
  const [e] = await getDb()
    .select()
    .from(outboxEvents)
    .where(and(eq(outboxEvents.id, id), eq(outboxEvents.merchantId, merchantId)));
  if (!e) throw new AppError('resource_missing', `No such event: '${id}'`, { param: 'id' });
  return e;
}

/** GET /v1/events/:id as Stripe returns it. */
export async function merchantEventJson(merchantId: string, id: string): Promise<EventObject> {
  const [event] = await serializeEvents([await getMerchantEvent(merchantId, id)]);
  return event!;
}

function typeCondition(query: z.output<typeof listEventsQuery>): SQL | undefined {
  if (query.types) return inArray(outboxEvents.type, query.types);
  if (!query.type) return undefined;
  // the prefix is one of our own type names (checked above), so it holds no LIKE wildcards
  return query.type.endsWith('.*') ? like(outboxEvents.type, `${query.type.slice(0, -1)}%`) : eq(outboxEvents.type, query.type);
}

/** A merchant's events, newest first (outbox order: seq is unique). */
export async function listMerchantEvents(merchantId: string, query: z.output<typeof listEventsQuery>) {
  return keysetPage<OutboxEvent>({
    request: query,
    table: outboxEvents,
    id: outboxEvents.id,
    keys: [outboxEvents.seq],
    scope: eq(outboxEvents.merchantId, merchantId),
    filter: and(typeCondition(query), createdCondition(outboxEvents.createdAt, query.created)),
    unknownCursor: { error: 'event' },
  });
}

/** GET /v1/events: Stripe's list of event objects. */
export async function merchantEventsJson(merchantId: string, query: z.output<typeof listEventsQuery>) {
  const page = await listMerchantEvents(merchantId, query);
  const data = await serializeEvents(page.rows);
  return { ...listObject('/v1/events', page, (e) => e), data };
}
