import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { outboxEvents, type OutboxEvent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { keysetPage, oneCursor, pageParams, type Page } from '@/lib/pagination';
import { EVENT_TYPES } from './outbox';

export const listEventsQuery = z
  .object({ ...pageParams, type: z.enum(EVENT_TYPES).optional() })
  .strict()
  .superRefine(oneCursor);

export async function getMerchantEvent(merchantId: string, id: string): Promise<OutboxEvent> {
  const [e] = await getDb()
    .select()
    .from(outboxEvents)
    .where(and(eq(outboxEvents.id, id), eq(outboxEvents.merchantId, merchantId)));
  if (!e) throw new AppError('resource_missing', `No such event: '${id}'`, { param: 'id' });
  return e;
}

/** A merchant's events, newest first (outbox order: seq is unique). */
export async function listMerchantEvents(merchantId: string, query: z.output<typeof listEventsQuery>): Promise<Page<OutboxEvent>> {
  return keysetPage<OutboxEvent>({
    request: query,
    table: outboxEvents,
    id: outboxEvents.id,
    keys: [outboxEvents.seq],
    scope: eq(outboxEvents.merchantId, merchantId),
    filter: query.type ? eq(outboxEvents.type, query.type) : undefined,
    unknownCursor: { error: 'event' },
  });
}
