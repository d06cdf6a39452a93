import { and, eq, isNull } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { webhookDeliveries, webhookEndpoints } from '@/db/schema';
import { getMerchantEvent } from '@/lib/events/query';
import { attemptDelivery, fanOutEvent, listDeliveriesForEvent } from './deliveries';

/**
 * A merchant's manual redelivery: one immediate, signed attempt of the event to each of its
 * endpoints (creating deliveries for endpoints subscribed since), recorded like any other
 * attempt. Safe to repeat: merchants dedupe webhooks by event id.
 */
export async function redeliverEvent(merchantId: string, eventId: string) {
  const event = await getMerchantEvent(merchantId, eventId);
  await fanOutEvent(event.id);
  const deliveries = await getDb()
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.eventId, event.id), isNull(webhookEndpoints.deletedAt)));
  for (const d of deliveries) await attemptDelivery(d.id, 'manual');
  return listDeliveriesForEvent(event.id);
}
