import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { deadLetters, outboxEvents, type OutboxEvent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { byCreation, keysetPage, listObject, oneCursor, pageParams, pageQuery, type Page } from '@/lib/pagination';
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

export const listDeadLettersQuery = pageQuery;

export function serializeDeadLetter(d: typeof deadLetters.$inferSelect) {
  return {
    id: d.id,
    object: 'dead_letter' as const,
    function: d.functionId,
    event_name: d.eventName,
    payload: d.payload,
    error: d.error,
    created: Math.floor(d.createdAt.getTime() / 1000),
    replayed_at: d.replayedAt ? Math.floor(d.replayedAt.getTime() / 1000) : null,
  };
}

export async function getMerchantDeadLetter(merchantId: string, id: string) {
  const [d] = await getDb()
    .select()
    .from(deadLetters)
    .where(and(eq(deadLetters.id, id), eq(deadLetters.merchantId, merchantId)));
  if (!d) throw new AppError('resource_missing', `No such dead_letter: '${id}'`, { param: 'id' });
  return d;
}

/** Background runs that failed for good and belong to this merchant, newest first. */
export async function listMerchantDeadLetters(merchantId: string, query: z.output<typeof listDeadLettersQuery>) {
  const page = await keysetPage<typeof deadLetters.$inferSelect>({
    ...byCreation(deadLetters),
    request: query,
    scope: eq(deadLetters.merchantId, merchantId),
    unknownCursor: { error: 'dead_letter' },
  });
  return listObject('/api/v1/dead_letters', page, serializeDeadLetter);
}
