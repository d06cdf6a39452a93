import type { Tx } from '@/db/client';
import { outboxEvents } from '@/db/schema';
import { newId } from '@/lib/ids';

export const EVENT_TYPES = [
  'payment_intent.created',
  'payment_intent.requires_action',
  'payment_intent.processing',
  'payment_intent.amount_capturable_updated',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  // a PSP success that came after the intent was canceled or the attempt given up, given back at the PSP
  'payment_intent.late_success_reversed',
  'checkout.session.completed',
  'checkout.session.expired',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
  'payout.created',
  'payout.paid',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboxWrite {
  type: EventType;
  merchantId: string;
  aggregateType: 'payment_intent' | 'checkout_session' | 'refund' | 'payout';
  aggregateId: string;
  data: Record<string, unknown>;
}

/**
 * Records an event in the outbox. Must be called with the transaction that makes the state
 * change, so the event exists if and only if the change committed.
 */
export async function writeOutboxEvent(tx: Tx, event: OutboxWrite): Promise<string> {
  const id = newId('event');
  await tx.insert(outboxEvents).values({
    id,
    type: event.type,
    merchantId: event.merchantId,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    data: event.data,
  });
  return id;
}
