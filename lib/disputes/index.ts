import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentDisputes, type PaymentDispute } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { createdCondition, createdParam, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { attemptIdOf, chargeIdOf } from '@/lib/api-objects/charge-id';

/**
 * The disputes (chargebacks) PSPs reported to us (lib/inbox records them from Stripe's
 * charge.dispute.* webhooks), read-only through the API in Stripe's dispute shape. We do not
 * submit evidence for the merchant: that happens in the PSP's own dashboard, so `evidence` is
 * empty and `evidence_details.has_evidence` false.
 */

export const listDisputesQuery = z
  .object({
    ...pageParams,
    payment_intent: z.string().min(1).max(100).optional(),
    charge: z.string().min(1).max(100).optional(),
    created: createdParam.optional(),
  })
  .strict()
  .superRefine(oneCursor);

/** Dispute statuses after which nothing more happens (Stripe's). */
const CLOSED_STATUSES = new Set(['won', 'lost', 'warning_closed', 'charge_refunded', 'prevented']);

export function serializeDispute(d: PaymentDispute, charge: string | null) {
  return {
    id: d.id,
    object: 'dispute' as const,
    amount: d.amount,
    balance_transactions: [],
    charge,
    created: Math.floor(d.disputedAt.getTime() / 1000),
    currency: d.currency,
    evidence: {},
    evidence_details: { due_by: null, has_evidence: false, past_due: false, submission_count: 0 },
    // an open dispute's payment can still be refunded at the PSP; a closed one's cannot change
    is_charge_refundable: !CLOSED_STATUSES.has(d.status),
    livemode: false,
    metadata: {},
    payment_intent: d.paymentIntentId,
    reason: d.reason,
    status: d.status,
    /** The PSP's own id of this dispute (Stripe's du_/dp_ id), beside Stripe's fields. */
    psp: d.psp,
    psp_dispute_id: d.pspDisputeId,
  };
}

export async function getDispute(merchantId: string, id: string): Promise<PaymentDispute> {
  const [d] = await getDb()
    .select()
    .from(paymentDisputes)
    .where(and(eq(paymentDisputes.id, id), eq(paymentDisputes.merchantId, merchantId)));
  if (!d) throw new AppError('resource_missing', `No such dispute: '${id}'`, { param: 'id' });
  return d;
}

/** A merchant's disputes, newest first (by when the PSP reported them). */
export async function listDisputes(merchantId: string, query: z.output<typeof listDisputesQuery>) {
  return keysetPage<PaymentDispute>({
    request: query,
    table: paymentDisputes,
    id: paymentDisputes.id,
    keys: [paymentDisputes.disputedAt, paymentDisputes.id],
    scope: eq(paymentDisputes.merchantId, merchantId),
    filter: and(
      query.payment_intent ? eq(paymentDisputes.paymentIntentId, query.payment_intent) : undefined,
      query.charge
        ? inArray(
            paymentDisputes.paymentIntentId,
            getDb()
              .select({ id: paymentAttempts.paymentIntentId })
              .from(paymentAttempts)
              .where(eq(paymentAttempts.id, attemptIdOf(query.charge) ?? '')),
          )
        : undefined,
      createdCondition(paymentDisputes.disputedAt, query.created),
    ),
    unknownCursor: { error: 'dispute' },
  });
}

/** The charge (ch_) of each disputed payment: its succeeded attempt, read in one query. */
async function chargesOf(paymentIntentIds: string[]): Promise<Map<string, string>> {
  if (paymentIntentIds.length === 0) return new Map();
  const rows = await getDb()
    .select({ paymentIntentId: paymentAttempts.paymentIntentId, id: paymentAttempts.id })
    .from(paymentAttempts)
    .where(and(inArray(paymentAttempts.paymentIntentId, [...new Set(paymentIntentIds)]), eq(paymentAttempts.status, 'succeeded')));
  return new Map(rows.map((r) => [r.paymentIntentId, chargeIdOf(r.id)]));
}

export async function disputeJson(merchantId: string, id: string) {
  const dispute = await getDispute(merchantId, id);
  const charges = await chargesOf([dispute.paymentIntentId]);
  return serializeDispute(dispute, charges.get(dispute.paymentIntentId) ?? null);
}

export async function disputesJson(merchantId: string, query: z.output<typeof listDisputesQuery>) {
  const page = await listDisputes(merchantId, query);
  const charges = await chargesOf(page.rows.map((d) => d.paymentIntentId));
  return listObject('/v1/disputes', page, (d) => serializeDispute(d, charges.get(d.paymentIntentId) ?? null));
}
