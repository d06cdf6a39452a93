import { and, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx } from '@/db/client';
import { journalTransactions, paymentAttempts, paymentDisputes, paymentIntents, receipts, refunds, type PaymentAttempt, type PaymentIntent } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { byCreation, createdCondition, createdParam, keysetPage, oneCursor, pageParams } from '@/lib/pagination';
import { serializeCard } from '@/lib/payment-methods';
import { refundedAmounts } from '@/lib/refunds/amounts';
import { expandParam } from './expand-param';

import { attemptIdOf, chargeIdOf } from './charge-id';

export { attemptIdOf, chargeIdOf } from './charge-id';

/**
 * A charge's fields are read from its attempt (./charge-id.ts), its intent, its refunds, its
 * ledger posting and its receipt.
 */
const unix = (d: Date): number => Math.floor(d.getTime() / 1000);

/** What a charge shows beside its attempt and intent, read in batches for a page of charges. */
interface ChargeFacts {
  refunded: Map<string, number>;
  /** payment intent id -> the capture's journal transaction (Stripe's balance transaction) */
  balanceTransactions: Map<string, string>;
  receiptIds: Map<string, string>;
  disputed: Set<string>;
}

export const CHARGE_STATUS: Record<PaymentAttempt['status'], 'succeeded' | 'pending' | 'failed'> = {
  pending: 'pending',
  requires_action: 'pending',
  authorized: 'succeeded',
  capturing: 'succeeded',
  canceling: 'succeeded',
  succeeded: 'succeeded',
  canceled: 'succeeded',
  failed: 'failed',
  // money a failed attempt turned out to hold is being (or was) given back: the charge failed
  reversal_pending: 'failed',
  reversed: 'failed',
};

const RISK_LEVEL = { allow: 'normal', review: 'elevated', block: 'highest' } as const;

function outcome(a: PaymentAttempt) {
  const risk = a.riskDecision ? RISK_LEVEL[a.riskDecision] : 'not_assessed';
  if (a.failureCode === 'payment_blocked') {
    return { type: 'blocked', network_status: 'not_sent_to_network', reason: 'highest_risk_level', risk_level: risk, seller_message: 'Payment blocked by the risk rules.' };
  }
  if (a.status === 'pending' || a.status === 'requires_action') return null;
  if (CHARGE_STATUS[a.status] === 'failed') {
    const declined = a.failureCode === 'card_declined' || a.failureCode === 'authentication_failed';
    return {
      type: declined ? 'issuer_declined' : 'invalid',
      network_status: declined ? 'declined_by_network' : 'not_sent_to_network',
      reason: a.declineCode ?? a.failureCode ?? null,
      risk_level: risk,
      seller_message: declined ? 'The bank did not return any further details with this decline.' : (a.failureMessage ?? 'The payment failed.'),
    };
  }
  return {
    type: a.riskDecision === 'review' ? 'manual_review' : 'authorized',
    network_status: 'approved_by_network',
    reason: a.riskDecision === 'review' ? 'elevated_risk_level' : null,
    risk_level: risk,
    seller_message: a.riskDecision === 'review' ? 'The payment was approved and flagged for review.' : 'Payment complete.',
  };
}

export function serializeCharge(a: PaymentAttempt, pi: PaymentIntent, facts: ChargeFacts) {
  const status = CHARGE_STATUS[a.status];
  const captured = a.status === 'succeeded';
  const latest = pi.latestAttemptId === a.id;
  // A captured attempt holds what its intent received (a partial capture included); refunds are the intent's.
  const amountCaptured = captured ? (latest ? pi.amountReceived : a.amount) : 0;
  const voided = a.status === 'canceled';
  const amountRefunded = voided ? a.amount : captured ? Math.min(facts.refunded.get(pi.id) ?? 0, amountCaptured) : 0;
  const receiptId = captured ? facts.receiptIds.get(pi.id) : undefined;
  const o = outcome(a);
  return {
    id: chargeIdOf(a.id),
    object: 'charge' as const,
    amount: a.amount,
    amount_captured: amountCaptured,
    amount_refunded: amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: captured ? (facts.balanceTransactions.get(pi.id) ?? null) : null,
    billing_details: { address: null, email: a.customerEmail, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: pi.statementDescriptor,
    captured,
    created: unix(a.createdAt),
    currency: a.currency,
    customer: pi.customerId,
    description: pi.description,
    disputed: facts.disputed.has(pi.id),
    failure_balance_transaction: null,
    failure_code: status === 'failed' ? (a.failureCode ?? null) : null,
    failure_message: status === 'failed' ? (a.failureMessage ?? null) : null,
    fraud_details: {},
    livemode: false,
    metadata: pi.metadata,
    on_behalf_of: null,
    outcome: o ? { advice_code: null, network_advice_code: null, network_decline_code: null, ...o } : null,
    paid: status === 'succeeded',
    payment_intent: pi.id,
    payment_method: a.paymentMethodId,
    payment_method_details: paymentMethodDetails(a),
    receipt_email: a.customerEmail,
    receipt_number: null,
    receipt_url: receiptId ? `${env().APP_URL.replace(/\/$/, '')}/receipts/${receiptId}` : null,
    refunded: amountRefunded > 0 && amountRefunded === (voided ? a.amount : amountCaptured),
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statementDescriptor,
    statement_descriptor_suffix: null,
    status,
    transfer_data: null,
    transfer_group: null,
    // ours: which PSP carried it
    psp: a.psp,
  };
}
export type ChargeJson = ReturnType<typeof serializeCharge>;

function paymentMethodDetails(a: PaymentAttempt) {
  if (a.card) return { type: 'card', card: serializeCard(a.card) };
  return { type: a.paymentMethodType };
}

export async function chargeFacts(db: DbOrTx, merchantId: string, intentIds: string[]): Promise<ChargeFacts> {
  const ids = [...new Set(intentIds)];
  if (ids.length === 0) return { refunded: new Map(), balanceTransactions: new Map(), receiptIds: new Map(), disputed: new Set() };
  const [refunded, postings, receiptRows, disputes] = await Promise.all([
    refundedAmounts(db, ids),
    db
      .select({ pi: journalTransactions.paymentIntentId, id: journalTransactions.id })
      .from(journalTransactions)
      .where(and(eq(journalTransactions.merchantId, merchantId), eq(journalTransactions.kind, 'capture'), inArray(journalTransactions.paymentIntentId, ids))),
    db
      .select({ pi: receipts.paymentIntentId, id: receipts.id })
      .from(receipts)
      .where(and(eq(receipts.kind, 'payment'), inArray(receipts.paymentIntentId, ids))),
    db.select({ pi: paymentDisputes.paymentIntentId }).from(paymentDisputes).where(inArray(paymentDisputes.paymentIntentId, ids)),
  ]);
  return {
    refunded,
    balanceTransactions: new Map(postings.filter((p) => p.pi).map((p) => [p.pi!, p.id])),
    receiptIds: new Map(receiptRows.map((r) => [r.pi, r.id])),
    disputed: new Set(disputes.map((d) => d.pi).filter((x): x is string => x !== null)),
  };
}

function missingCharge(id: string, param = 'id'): AppError {
  return new AppError('resource_missing', `No such charge: '${id}'`, { param });
}

/** GET /v1/charges/:id. Another merchant's charge is indistinguishable from a missing one. */
export async function retrieveChargeJson(merchantId: string, chargeId: string, db: DbOrTx = getDb()): Promise<ChargeJson> {
  const attemptId = attemptIdOf(chargeId);
  if (!attemptId) throw missingCharge(chargeId);
  // One statement, the facts chargeFacts reads for a list as subqueries: every charge event is
  // written with this object inside its money transaction.
  const refunded = db
    .select({ total: sql`coalesce(sum(${refunds.amount}), 0)` })
    .from(refunds)
    .where(and(eq(refunds.paymentIntentId, paymentIntents.id), ne(refunds.status, 'failed')));
  const posting = db
    .select({ id: journalTransactions.id })
    .from(journalTransactions)
    .where(and(eq(journalTransactions.merchantId, merchantId), eq(journalTransactions.kind, 'capture'), eq(journalTransactions.paymentIntentId, paymentIntents.id)))
    .limit(1);
  const receipt = db
    .select({ id: receipts.id })
    .from(receipts)
    .where(and(eq(receipts.kind, 'payment'), eq(receipts.paymentIntentId, paymentIntents.id)))
    .limit(1);
  const dispute = db.select({ one: sql`1` }).from(paymentDisputes).where(eq(paymentDisputes.paymentIntentId, paymentIntents.id));
  const [row] = await db
    .select({
      a: paymentAttempts,
      pi: paymentIntents,
      refunded: sql<string>`(${refunded})`,
      balanceTransaction: sql<string | null>`(${posting})`,
      receiptId: sql<string | null>`(${receipt})`,
      disputed: sql<boolean>`exists (${dispute})`,
    })
    .from(paymentAttempts)
    .innerJoin(paymentIntents, eq(paymentIntents.id, paymentAttempts.paymentIntentId))
    .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.merchantId, merchantId)));
  if (!row) throw missingCharge(chargeId);
  const id = row.pi.id;
  return serializeCharge(row.a, row.pi, {
    refunded: new Map([[id, Number(row.refunded)]]),
    balanceTransactions: new Map(row.balanceTransaction ? [[id, row.balanceTransaction]] : []),
    receiptIds: new Map(row.receiptId ? [[id, row.receiptId]] : []),
    disputed: new Set(row.disputed ? [id] : []),
  });
}

export const listChargesQuery = z
  .object({
    ...pageParams,
    payment_intent: z.string().min(1).max(100).optional(),
    customer: z.string().min(1).max(100).optional(),
    created: createdParam.optional(),
    expand: expandParam,
  })
  .strict()
  .superRefine(oneCursor);

/** GET /v1/charges: newest first, by intent, customer or creation time. Cursors are charge ids. */
export async function listCharges(merchantId: string, query: z.output<typeof listChargesQuery>) {
  const db = getDb();
  const cursor = (id: string | undefined, param: string) => {
    if (id === undefined) return undefined;
    const attemptId = attemptIdOf(id);
    if (!attemptId) throw missingCharge(id, param);
    return attemptId;
  };
  const filters: (SQL | undefined)[] = [
    query.payment_intent ? eq(paymentAttempts.paymentIntentId, query.payment_intent) : undefined,
    query.customer
      ? sql`${paymentAttempts.paymentIntentId} in (select ${paymentIntents.id} from ${paymentIntents} where ${paymentIntents.merchantId} = ${merchantId} and ${paymentIntents.customerId} = ${query.customer})`
      : undefined,
    createdCondition(paymentAttempts.createdAt, query.created),
  ];
  const page = await keysetPage<PaymentAttempt>({
    ...byCreation(paymentAttempts),
    request: { limit: query.limit, starting_after: cursor(query.starting_after, 'starting_after'), ending_before: cursor(query.ending_before, 'ending_before') },
    scope: eq(paymentAttempts.merchantId, merchantId),
    filter: and(...filters),
    unknownCursor: { error: 'charge' },
  }).catch((err: unknown) => {
    // the pager names the attempt id it looked for; the caller sent a charge id
    if (err instanceof AppError && err.code === 'resource_missing' && (err.param === 'starting_after' || err.param === 'ending_before')) {
      throw missingCharge(err.param === 'starting_after' ? query.starting_after! : query.ending_before!, err.param);
    }
    throw err;
  });
  const intentIds = [...new Set(page.rows.map((a) => a.paymentIntentId))];
  const intents = intentIds.length ? await db.select().from(paymentIntents).where(inArray(paymentIntents.id, intentIds)) : [];
  const byId = new Map(intents.map((pi) => [pi.id, pi]));
  const facts = await chargeFacts(db, merchantId, intentIds);
  return {
    object: 'list' as const,
    url: '/v1/charges',
    has_more: page.hasMore,
    data: page.rows.map((a) => serializeCharge(a, byId.get(a.paymentIntentId)!, facts)),
  };
}

export const retrieveChargeQuery = z.object({ expand: expandParam }).strict();
