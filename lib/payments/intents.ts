import { timingSafeEqual } from 'node:crypto';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import {
  PAYMENT_INTENT_STATUSES,
  paymentAttempts,
  paymentDisputes,
  paymentIntents,
  refunds,
  type PaymentAttempt,
  type PaymentIntent,
} from '@/db/schema';
import { requireLiveCustomer } from '@/lib/customers';
import { AppError } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { metadataSchema } from '@/lib/http/validation';
import { newId, randomToken } from '@/lib/ids';
import { expandParam } from '@/lib/api-objects/expand-param';
import { getPaymentMethod, isPaymentMethodId } from '@/lib/payment-methods';
import type { PaymentMethodType } from '@/lib/psp/types';
import { getPaymentMethodAdapter, methodTypesForCurrency, PAYMENT_METHOD_TYPES, pspsForMethod } from '@/lib/psp/registry';
import { confirmParams } from './confirm-params';
import { byCreation, createdCondition, createdParam, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { assertValidAmount, parseCurrency } from '@/lib/money';
import { refundedAmounts } from '@/lib/refunds/amounts';
import { serializePaymentIntent } from './serialize';

/** A Customer id (`cus_`); the Customers context checks that it exists. */
export const customerIdParam = z.string().regex(/^cus_[0-9A-Za-z]{8,64}$/, "must be a Customer id ('cus_...')");

/** Stripe's statement descriptor: 5..22 characters, at least one letter, none of < > \ ' " * */
const statementDescriptorParam = z
  .string()
  .min(5)
  .max(22)
  .regex(/^[^<>\\'"*]*$/, 'must not contain < > \\ \' " *')
  .regex(/[A-Za-z]/, 'must contain at least one letter');

const methodTypesParam = z.array(z.enum(PAYMENT_METHOD_TYPES)).min(1).max(10);

export const createPaymentIntentBody = z
  .object({
    amount: z.number(),
    currency: z.string().min(3).max(3),
    capture_method: z.enum(['automatic', 'manual']).default('automatic'),
    description: z.string().max(1000).optional(),
    metadata: metadataSchema.optional(),
    customer: customerIdParam.optional(),
    payment_method_types: methodTypesParam.optional(),
    /** The newer SDKs' name (API 2026-10-28) for payment_method_types; the same list. */
    allowed_payment_method_types: methodTypesParam.optional(),
    automatic_payment_methods: z
      .object({ enabled: z.boolean(), allow_redirects: z.enum(['always', 'never']).optional() })
      .strict()
      .optional(),
    statement_descriptor: statementDescriptorParam.optional(),
    /** Confirm at once, with the confirmation parameters below (Stripe's `confirm: true`). */
    confirm: z.boolean().optional(),
    ...confirmParams,
    expand: expandParam,
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.payment_method_types && body.allowed_payment_method_types) {
      ctx.addIssue({ code: 'custom', path: ['allowed_payment_method_types'], message: 'cannot be combined with payment_method_types (they are the same list)' });
    }
    if ((body.payment_method_types || body.allowed_payment_method_types) && body.automatic_payment_methods?.enabled) {
      ctx.addIssue({ code: 'custom', path: ['automatic_payment_methods'], message: 'cannot be enabled together with payment_method_types' });
    }
    if (!body.confirm) {
      for (const key of ['payment_method_data', 'return_url', 'customer_ip', 'off_session'] as const) {
        if (body[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'can only be passed with confirm=true' });
      }
    }
  });
export type CreatePaymentIntentBody = z.output<typeof createPaymentIntentBody>;

/** What a new PaymentIntent stores (the API's create parameters, or a checkout session's). */
export interface NewPaymentIntent {
  amount: number;
  currency: string;
  capture_method: 'automatic' | 'manual';
  description?: string;
  receipt_email?: string;
  metadata?: Record<string, string>;
  customer?: string;
  payment_method?: string;
  payment_method_types?: string[];
  allowed_payment_method_types?: string[];
  automatic_payment_methods?: { enabled: boolean; allow_redirects?: 'always' | 'never' };
  statement_descriptor?: string;
  checkoutSessionId?: string;
}

/** `pi_..._secret_...`: what the customer's browser is given to read and confirm this one intent. */
function newClientSecret(paymentIntentId: string): string {
  return `${paymentIntentId}_secret_${randomToken(24)}`;
}

/**
 * The method types an intent takes: the ones named, or with automatic_payment_methods every
 * type some PSP charges in the currency, or card.
 */
function methodTypesOf(input: NewPaymentIntent, currency: string): string[] {
  const named = input.payment_method_types ?? input.allowed_payment_method_types;
  if (named) return [...new Set(named)];
  if (input.automatic_payment_methods?.enabled) {
    const types = methodTypesForCurrency(currency);
    return types.length > 0 ? types : ['card'];
  }
  return ['card'];
}

export async function createPaymentIntent(tx: Tx, merchantId: string, input: NewPaymentIntent): Promise<PaymentIntent> {
  const currency = parseCurrency(input.currency);
  assertValidAmount(input.amount, currency);
  // a method that could never take this payment is refused now, not at confirm
  for (const method of input.payment_method_types ?? input.allowed_payment_method_types ?? []) {
    const [psp] = pspsForMethod(method as PaymentMethodType);
    if (psp) getPaymentMethodAdapter(psp).assertCanCharge({ amount: input.amount, currency, capture: input.capture_method === 'automatic' });
  }
  // a named PaymentMethod must be the merchant's; a token is checked by its PSP at confirmation
  if (input.payment_method && isPaymentMethodId(input.payment_method)) await getPaymentMethod(tx, merchantId, input.payment_method);
  // a named customer must be the merchant's and not deleted
  if (input.customer) await requireLiveCustomer(tx, merchantId, input.customer, { param: 'customer' });
  const id = newId('paymentIntent');
  const [pi] = await tx
    .insert(paymentIntents)
    .values({
      id,
      merchantId,
      amount: input.amount,
      currency,
      // Stripe's: with a payment method named, the intent only waits for its confirmation
      status: input.payment_method ? 'requires_confirmation' : 'requires_payment_method',
      captureMethod: input.capture_method,
      description: input.description ?? null,
      customerEmail: input.receipt_email?.toLowerCase() ?? null,
      metadata: input.metadata ?? {},
      checkoutSessionId: input.checkoutSessionId ?? null,
      clientSecret: newClientSecret(id),
      customerId: input.customer ?? null,
      paymentMethodId: input.payment_method && isPaymentMethodId(input.payment_method) ? input.payment_method : null,
      paymentMethodTypes: methodTypesOf(input, currency),
      automaticPaymentMethods: input.automatic_payment_methods ?? null,
      statementDescriptor: input.statement_descriptor ?? null,
    })
    .returning();
  if (!pi) throw new Error('payment intent insert returned nothing');
  await writeOutboxEvent(tx, {
    type: 'payment_intent.created',
    merchantId,
    aggregateType: 'payment_intent',
    aggregateId: pi.id,
    data: { object: serializePaymentIntent(pi) },
  });
  return pi;
}

/** A merchant's PaymentIntent; another merchant's id is indistinguishable from a missing one. */
export async function getPaymentIntent(db: DbOrTx, merchantId: string, id: string): Promise<PaymentIntent> {
  const [pi] = await db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)));
  if (!pi) throw new AppError('resource_missing', `No such payment_intent: '${id}'`, { param: 'id' });
  return pi;
}

/** Locks the row for the rest of the transaction (SELECT ... FOR UPDATE). */
export async function lockPaymentIntent(tx: Tx, merchantId: string, id: string): Promise<PaymentIntent> {
  const [pi] = await tx
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)))
    .for('update');
  if (!pi) throw new AppError('resource_missing', `No such payment_intent: '${id}'`, { param: 'id' });
  return pi;
}

export async function getAttempt(db: DbOrTx, id: string | null): Promise<PaymentAttempt | null> {
  if (!id) return null;
  const [a] = await db.select().from(paymentAttempts).where(eq(paymentAttempts.id, id));
  return a ?? null;
}

/**
 * GET /payment_intents/:id's object (and every answer that returns the intent), read in one
 * statement: the intent, its latest attempt, the amount refunded (refunds that did not fail, as
 * refundedAmounts counts them) and its disputes.
 */
export async function retrievePaymentIntentJson(merchantId: string, id: string, db: DbOrTx = getDb()) {
  const refunded = db
    .select({ total: sql`coalesce(sum(${refunds.amount}), 0)` })
    .from(refunds)
    .where(and(eq(refunds.paymentIntentId, paymentIntents.id), ne(refunds.status, 'failed')));
  const disputes = db
    .select({
      list: sql`json_agg(json_build_object(
        'id', ${paymentDisputes.id}, 'amount', ${paymentDisputes.amount}, 'currency', ${paymentDisputes.currency},
        'reason', ${paymentDisputes.reason}, 'status', ${paymentDisputes.status},
        'created', floor(extract(epoch from ${paymentDisputes.disputedAt}))::bigint
      ) order by ${paymentDisputes.disputedAt}, ${paymentDisputes.id})`,
    })
    .from(paymentDisputes)
    .where(eq(paymentDisputes.paymentIntentId, paymentIntents.id));
  const [row] = await db
    .select({
      pi: paymentIntents,
      attempt: paymentAttempts,
      refunded: sql<string>`(${refunded})`,
      disputes: sql<DisputeJson[] | null>`(${disputes})`,
    })
    .from(paymentIntents)
    .leftJoin(paymentAttempts, eq(paymentAttempts.id, paymentIntents.latestAttemptId))
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)));
  if (!row) throw new AppError('resource_missing', `No such payment_intent: '${id}'`, { param: 'id' });
  return {
    ...serializePaymentIntent(row.pi, row.attempt, Number(row.refunded)),
    // a chargeback the PSP reported (Stripe's charge.dispute.created), newest last
    disputes: (row.disputes ?? []).map((d) => ({ ...d, amount: Number(d.amount), created: Number(d.created) })),
  };
}

interface DisputeJson {
  id: string;
  amount: number;
  currency: string;
  reason: string;
  status: string;
  created: number;
}

export const listPaymentIntentsQuery = z
  .object({
    ...pageParams,
    status: z.enum(PAYMENT_INTENT_STATUSES).optional(),
    customer: customerIdParam.optional(),
    created: createdParam.optional(),
    expand: expandParam,
  })
  .strict()
  .superRefine(oneCursor);

export const retrievePaymentIntentQuery = z
  .object({
    /** Stripe.js sends it on a publishable-key retrieve; with a secret key it must still match. */
    client_secret: z.string().min(1).max(200).optional(),
    expand: expandParam,
  })
  .strict();

/**
 * POST /payment_intents/:id: what may change before the intent is confirmed (Stripe's update).
 * metadata merges key by key; an empty value removes its key. An empty description or
 * receipt_email clears it.
 */
export const updatePaymentIntentBody = z
  .object({
    amount: z.number().optional(),
    currency: z.string().min(3).max(3).optional(),
    description: z.string().max(1000).optional(),
    receipt_email: z.union([z.literal(''), z.string().email().max(320)]).optional(),
    metadata: z.union([z.literal(''), z.record(z.string().min(1).max(40), z.string().max(500))]).optional(),
    customer: customerIdParam.optional(),
    payment_method: z.string().min(1).max(200).optional(),
    payment_method_types: methodTypesParam.optional(),
    statement_descriptor: statementDescriptorParam.optional(),
    capture_method: z.enum(['automatic', 'manual']).optional(),
    expand: expandParam,
  })
  .strict();

const UPDATABLE_STATUSES: readonly PaymentIntent['status'][] = ['requires_payment_method', 'requires_confirmation'];

/** Updates an intent not yet confirmed, under its row lock; the amount is checked as on create. */
export async function updatePaymentIntent(tx: Tx, merchantId: string, id: string, body: z.output<typeof updatePaymentIntentBody>): Promise<PaymentIntent> {
  const pi = await lockPaymentIntent(tx, merchantId, id);
  if (!UPDATABLE_STATUSES.includes(pi.status)) {
    throw new AppError('payment_intent_unexpected_state', `You cannot update this PaymentIntent because it has a status of ${pi.status}.`);
  }
  const currency = parseCurrency(body.currency ?? pi.currency);
  const amount = body.amount ?? pi.amount;
  if (body.amount !== undefined || body.currency !== undefined) assertValidAmount(amount, currency);
  if (body.payment_method && isPaymentMethodId(body.payment_method)) await getPaymentMethod(tx, merchantId, body.payment_method);
  if (body.customer) await requireLiveCustomer(tx, merchantId, body.customer, { param: 'customer' });
  const metadata = mergedMetadata(pi.metadata, body.metadata);
  const [updated] = await tx
    .update(paymentIntents)
    .set({
      amount,
      currency,
      metadata,
      ...(body.description !== undefined ? { description: body.description === '' ? null : body.description } : {}),
      ...(body.receipt_email !== undefined ? { customerEmail: body.receipt_email === '' ? null : body.receipt_email.toLowerCase() } : {}),
      ...(body.customer !== undefined ? { customerId: body.customer } : {}),
      ...(body.payment_method !== undefined
        ? {
            paymentMethodId: isPaymentMethodId(body.payment_method) ? body.payment_method : null,
            status: pi.status === 'requires_payment_method' && isPaymentMethodId(body.payment_method) ? ('requires_confirmation' as const) : pi.status,
          }
        : {}),
      ...(body.payment_method_types !== undefined ? { paymentMethodTypes: [...new Set(body.payment_method_types)] } : {}),
      ...(body.statement_descriptor !== undefined ? { statementDescriptor: body.statement_descriptor } : {}),
      ...(body.capture_method !== undefined ? { captureMethod: body.capture_method } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(paymentIntents.id, pi.id), eq(paymentIntents.status, pi.status)))
    .returning();
  if (!updated) throw new Error('payment intent update under lock matched nothing');
  return updated;
}

function mergedMetadata(current: Record<string, string>, patch: '' | Record<string, string> | undefined): Record<string, string> {
  if (patch === undefined) return current;
  if (patch === '') return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === '') delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > 50) throw new AppError('parameter_invalid', 'Invalid metadata: metadata can have at most 50 keys', { param: 'metadata' });
  return next;
}

/**
 * With a client secret (Stripe.js's retrieve), it must be this intent's: a wrong one is a 404
 * like an unknown id, so a secret of another intent reveals nothing.
 */
export function assertClientSecret(pi: PaymentIntent, clientSecret: string | undefined): void {
  if (clientSecret === undefined) return;
  if (!pi.clientSecret || !timingSafeEqualText(pi.clientSecret, clientSecret)) {
    throw new AppError('resource_missing', `No such payment_intent: '${pi.id}'`, { param: 'client_secret' });
  }
}

function timingSafeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Newest first, in pages (lib/pagination). */
export async function listPaymentIntents(merchantId: string, query: z.output<typeof listPaymentIntentsQuery>) {
  const db = getDb();
  const page = await keysetPage<PaymentIntent>({
    ...byCreation(paymentIntents),
    request: query,
    scope: eq(paymentIntents.merchantId, merchantId),
    filter: and(
      query.status ? eq(paymentIntents.status, query.status) : undefined,
      query.customer ? eq(paymentIntents.customerId, query.customer) : undefined,
      createdCondition(paymentIntents.createdAt, query.created),
    ),
    unknownCursor: { error: 'payment_intent' },
  });
  const refunded = await refundedAmounts(
    db,
    page.rows.map((pi) => pi.id),
  );
  return listObject('/v1/payment_intents', page, (pi) => serializePaymentIntent(pi, null, refunded.get(pi.id) ?? 0));
}
