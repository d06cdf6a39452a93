import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { outboxEvents, type OutboxEvent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { EVENT_TYPES } from './outbox';

export const listEventsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    starting_after: z.string().min(1).max(100).optional(),
    type: z.enum(EVENT_TYPES).optional(),
  })
  .strict();

export async function getMerchantEvent(merchantId: string, id: string): Promise<OutboxEvent> {
  const [e] = await getDb()
    .select()
    .from(outboxEvents)
    .where(and(eq(outboxEvents.id, id), eq(outboxEvents.merchantId, merchantId)));
  if (!e) throw new AppError('resource_missing', `No such event: '${id}'`, { param: 'id' });
  return e;
}

/** A merchant's events, newest first (outbox order). */
export async function listMerchantEvents(merchantId: string, query: z.output<typeof listEventsQuery>): Promise<{ rows: OutboxEvent[]; hasMore: boolean }> {
  const conditions: SQL[] = [eq(outboxEvents.merchantId, merchantId)];
  if (query.type) conditions.push(eq(outboxEvents.type, query.type));
  if (query.starting_after) {
    const cursor = await getMerchantEvent(merchantId, query.starting_after);
    conditions.push(lt(outboxEvents.seq, cursor.seq));
  }
  const rows = await getDb()
    .select()
    .from(outboxEvents)
    .where(and(...conditions))
    .orderBy(desc(outboxEvents.seq))
    .limit(query.limit + 1);
  return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}
