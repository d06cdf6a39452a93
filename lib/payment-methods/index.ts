import { and, eq, inArray } from 'drizzle-orm';
import { getDb, type DbOrTx } from '@/db/client';
import { paymentMethods, type CardDetailsJson, type PaymentMethodRow } from '@/db/schema';
import { z } from 'zod';
import { expandParam } from '@/lib/api-objects/expand-param';
import { AppError } from '@/lib/errors';
import { hasPrefix, newId } from '@/lib/ids';
import type { CardDetails, PaymentMethodDetails } from '@/lib/psp/types';

/**
 * PaymentMethods (`pm_`), Stripe's object: one module for their shape and their storage, so the
 * PaymentIntents (which record the method each attempt charged) and the PaymentMethods API
 * (create from a token, attach, detach, list) extend the same thing.
 */

const unix = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Stripe's PaymentMethod object (the fields of Stripe.PaymentMethod that apply to what we keep). */
export function serializePaymentMethod(pm: PaymentMethodRow) {
  return {
    id: pm.id,
    object: 'payment_method' as const,
    type: pm.type,
    billing_details: {
      address: null,
      email: null,
      name: null,
      phone: null,
      ...pm.billingDetails,
    },
    card: pm.card ? serializeCard(pm.card) : null,
    customer: pm.customerId,
    customer_account: null,
    allow_redisplay: 'unspecified' as const,
    livemode: false,
    metadata: pm.metadata,
    created: unix(pm.createdAt),
  };
}
export type PaymentMethodJson = ReturnType<typeof serializePaymentMethod>;

/** A card the PSP described, as we store it (snake_case, as the API shows it). */
export function cardJson(card: CardDetails): CardDetailsJson {
  return { brand: card.brand, last4: card.last4, fingerprint: card.fingerprint, exp_month: card.expMonth, exp_year: card.expYear };
}

/**
 * A card as Stripe shows it (PaymentMethod.card, Charge.payment_method_details.card). Attempts
 * recorded before cardJson existed kept the PSP's camelCase expiry; both are read.
 */
export function serializeCard(card: CardDetailsJson & { expMonth?: number; expYear?: number }) {
  return {
    brand: card.brand,
    last4: card.last4,
    exp_month: card.exp_month ?? card.expMonth ?? null,
    exp_year: card.exp_year ?? card.expYear ?? null,
    fingerprint: card.fingerprint,
    funding: 'unknown',
    country: null,
    generated_from: null,
    regulated_status: null,
    display_brand: card.brand,
    networks: { available: [card.brand], preferred: null },
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: null },
    three_d_secure_usage: { supported: true },
    wallet: null,
  };
}

export async function getPaymentMethod(db: DbOrTx, merchantId: string, id: string): Promise<PaymentMethodRow> {
  const [pm] = await db
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.id, id), eq(paymentMethods.merchantId, merchantId)));
  if (!pm) throw new AppError('resource_missing', `No such PaymentMethod: '${id}'`, { param: 'payment_method' });
  return pm;
}

/** Several of a merchant's methods by id (for lists and expansions). */
export async function getPaymentMethods(db: DbOrTx, merchantId: string, ids: readonly string[]): Promise<Map<string, PaymentMethodRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.merchantId, merchantId), inArray(paymentMethods.id, unique)));
  return new Map(rows.map((r) => [r.id, r]));
}

export interface NewPaymentMethod {
  merchantId: string;
  type: string;
  card?: CardDetailsJson | null;
  pspToken?: string | null;
  psp?: string | null;
  customerId?: string | null;
  billingDetails?: Record<string, unknown>;
  metadata?: Record<string, string>;
}

export async function insertPaymentMethod(db: DbOrTx, input: NewPaymentMethod): Promise<PaymentMethodRow> {
  const [pm] = await db
    .insert(paymentMethods)
    .values({
      id: newId('paymentMethod'),
      merchantId: input.merchantId,
      type: input.type,
      card: input.card ?? null,
      pspToken: input.pspToken ?? null,
      psp: input.psp ?? null,
      customerId: input.customerId ?? null,
      billingDetails: input.billingDetails ?? {},
      metadata: input.metadata ?? {},
    })
    .returning();
  if (!pm) throw new Error('payment method insert returned nothing');
  return pm;
}

/**
 * The PaymentMethod an attempt charges, recorded in the attempt's transaction: the one the
 * merchant named (`pm_`), or a new one for the method the PSP read from a token (a card's brand,
 * last4, expiry, fingerprint). Only cards become PaymentMethods here; other types add their own.
 */
export async function paymentMethodForAttempt(
  db: DbOrTx,
  merchantId: string,
  method: PaymentMethodDetails,
  namedId: string | null,
  psp: string,
): Promise<string | null> {
  if (namedId) return namedId;
  if (!method.card) return null;
  const pm = await insertPaymentMethod(db, { merchantId, type: 'card', card: cardJson(method.card), pspToken: method.reference, psp });
  return pm.id;
}

/**
 * Is this one of our PaymentMethod ids rather than a PSP token? Stripe's test names
 * (`pm_card_visa`, `pm_card_chargeDeclined`) are tokens of the sandbox card network, not ids.
 */
export function isPaymentMethodId(value: string): boolean {
  return hasPrefix(value, 'paymentMethod');
}

export const retrievePaymentMethodQuery = z.object({ expand: expandParam }).strict();

/** GET /v1/payment_methods/:id */
export async function retrievePaymentMethodJson(merchantId: string, id: string): Promise<PaymentMethodJson> {
  return serializePaymentMethod(await getPaymentMethod(getDb(), merchantId, id));
}
