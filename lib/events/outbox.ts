import type { Tx } from '@/db/client';
import { outboxEvents } from '@/db/schema';
import { newId } from '@/lib/ids';
import { currentEventRequest } from './request-context';

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
  // a PSP charge reconciliation found for an attempt we had failed, booked as the payment (the
  // merchant accepts late successes and the order was still open); beside payment_intent.succeeded
  'payment_intent.late_success_accepted',
  // a Paybill payment to the intent's session that could not pay it, given back to the payer by Reversal
  'payment_intent.paybill_payment_returned',
  'checkout.session.completed',
  'checkout.session.expired',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
  // news from the PSP about a pending refund (an M-Pesa Result awaiting its Transaction Status check)
  'refund.updated',
  'payout.created',
  'payout.paid',
  // Stripe's names for what the events above announce, beside them (the older names stay for
  // receivers that already consume them): a charge is the view of a payment's attempt.
  'charge.succeeded',
  'charge.captured',
  'charge.failed',
  'charge.refunded',
  'charge.refund.updated',
  'customer.created',
  'customer.updated',
  'customer.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboxWrite {
  type: EventType;
  merchantId: string;
  aggregateType: 'payment_intent' | 'checkout_session' | 'refund' | 'charge' | 'payout' | 'customer';
  aggregateId: string;
  data: Record<string, unknown>;
}

/**
 * Records an event in the outbox. Must be called with the transaction that makes the state
 * change, so the event exists if and only if the change committed. The API request running it
 * (if any) is recorded as the event's `request`.
 */
export async function writeOutboxEvent(tx: Tx, event: OutboxWrite): Promise<string> {
  const id = newId('event');
  const request = currentEventRequest();
  await tx.insert(outboxEvents).values({
    id,
    type: event.type,
    merchantId: event.merchantId,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    data: event.data,
    requestId: request?.requestId ?? null,
    requestIdempotencyKey: request?.idempotencyKey ?? null,
  });
  return id;
}
