import { and, eq, isNotNull } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Tx } from '@/db/client';
import { paymentMethods, type PaymentIntent, type PaymentMethodRow } from '@/db/schema';
import { requireLiveCustomer } from '@/lib/customers';
import { AppError } from '@/lib/errors';
import { metadataSchema } from '@/lib/http/validation';
import { byCreation, keysetPage, listObject, oneCursor, pageParams } from '@/lib/pagination';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { openRoute, planPaymentRoute } from '@/lib/psp/router';
import { PspError } from '@/lib/psp/types';
import { cardJson, getPaymentMethod, insertPaymentMethod, serializePaymentMethod } from './index';

/**
 * Saved cards: PaymentMethods created from a card token, attached to a customer and charged again.
 *
 * A card token is single use at the card network (hardening #9): the network lets one request
 * charge it, once. Saving a card therefore goes through the network too: attaching exchanges the
 * unused token for a reusable card on file (`card_...`), bound to the same merchant account, in one
 * network transaction that also uses the token up, so a token is either charged once or saved,
 * never both. Only that merchant's requests can charge the card on file, and only through a
 * PaymentMethod attached to a live customer of theirs; detaching (or deleting the customer) drops
 * the reference, so it can never be charged through paykit again.
 */

export const createPaymentMethodBody = z
  .object({
    type: z.literal('card'),
    /** A token of the PSP's tokenizer; raw card numbers never reach paykit's servers. */
    card: z.object({ token: z.string().min(1).max(200) }).strict(),
    billing_details: z
      .object({
        email: z.string().email().max(320).optional(),
        name: z.string().max(256).optional(),
        phone: z.string().max(40).optional(),
      })
      .strict()
      .optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();
export type CreatePaymentMethodBody = z.output<typeof createPaymentMethodBody>;

export const attachPaymentMethodBody = z.object({ customer: z.string().min(1).max(100) }).strict();
export const detachPaymentMethodBody = z.object({}).strict();

function unexpectedState(message: string): AppError {
  return new AppError('payment_method_unexpected_state', message, { param: 'payment_method' });
}

const REUSE_REFUSED =
  'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, or was detached from a Customer. It may not be used again.';

/**
 * POST /v1/payment_methods (type card, card[token]): reads the token at the card PSP that issued it
 * (the merchant's routing order) and records the card. Nothing is charged and the token stays
 * unused, so it can still be confirmed once or attached to a customer.
 */
export async function createPaymentMethodFromToken(merchantId: string, input: CreatePaymentMethodBody): Promise<PaymentMethodRow> {
  const plan = await planPaymentRoute({ merchantId, method: 'card', paymentMethod: input.card.token });
  const route = await openRoute(plan, input.card.token, merchantId);
  const read = route.step.paymentMethod;
  if (read.used) {
    throw new AppError('token_already_used', `This card token was already used for a payment: '${input.card.token}'.`, { param: 'card[token]' });
  }
  if (!read.card) throw new AppError('payment_method_invalid', `'${input.card.token}' is not a card token.`, { param: 'card[token]' });
  return insertPaymentMethod(getDb(), {
    merchantId,
    type: 'card',
    card: cardJson(read.card),
    pspToken: read.reference,
    psp: route.step.adapter.name,
    billingDetails: input.billing_details ?? {},
    metadata: input.metadata ?? {},
  });
}

async function lockPaymentMethod(tx: Tx, merchantId: string, id: string): Promise<PaymentMethodRow> {
  const [pm] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.id, id), eq(paymentMethods.merchantId, merchantId)))
    .for('update');
  if (!pm) throw new AppError('resource_missing', `No such PaymentMethod: '${id}'`, { param: 'payment_method' });
  return pm;
}

/**
 * POST /v1/payment_methods/:id/attach. Safe to retry: attaching to the same customer again
 * returns the method unchanged, and the network call carries a key derived from the method, so a
 * retried save returns the card on file already issued for it.
 */
export async function attachPaymentMethod(merchantId: string, id: string, customerId: string): Promise<PaymentMethodRow> {
  const db = getDb();
  const pm = await getPaymentMethod(db, merchantId, id);
  await requireLiveCustomer(db, merchantId, customerId, { param: 'customer' });
  if (pm.customerId === customerId) return pm;
  assertAttachable(pm);
  const adapter = getPaymentMethodAdapter(pm.psp!);
  if (!adapter.savePaymentMethod) {
    throw new AppError('payment_method_invalid', `Cards charged through ${adapter.name} cannot be saved for later payments.`, { param: 'payment_method' });
  }
  // Before any row is locked: the network either saves the token or says it was already used.
  const saved = await adapter.savePaymentMethod(pm.pspToken!, merchantId, `${pm.id}:save`).catch((err: unknown) => {
    if (isTokenUsedAtPsp(err)) throw unexpectedState(REUSE_REFUSED);
    throw err;
  });
  return db.transaction(async (tx) => {
    const locked = await lockPaymentMethod(tx, merchantId, id);
    // the customer may have been deleted meanwhile: its row lock orders us after that delete
    await requireLiveCustomer(tx, merchantId, customerId, { param: 'customer', forUpdate: true });
    if (locked.customerId === customerId) return locked;
    assertAttachable(locked);
    if (locked.pspToken !== pm.pspToken) throw unexpectedState('This PaymentMethod changed while it was being attached; retrieve it and try again.');
    const [attached] = await tx
      .update(paymentMethods)
      .set({ customerId, pspToken: saved.reference })
      .where(eq(paymentMethods.id, locked.id))
      .returning();
    if (!attached) throw new Error(`payment method ${id} vanished under its row lock`);
    return attached;
  });
}

function assertAttachable(pm: PaymentMethodRow): void {
  if (pm.type !== 'card') throw new AppError('payment_method_invalid', `Only card PaymentMethods can be saved; this one is ${pm.type}.`, { param: 'payment_method' });
  if (pm.customerId) throw unexpectedState(`The PaymentMethod '${pm.id}' is already attached to another customer; detach it first.`);
  if (!pm.pspToken || !pm.psp) throw unexpectedState(REUSE_REFUSED);
}

function isTokenUsedAtPsp(err: unknown): boolean {
  return err instanceof PspError && err.reason === 'token_already_used';
}

/**
 * POST /v1/payment_methods/:id/detach: the method leaves its customer and forgets its card on
 * file, so nothing can charge it again (Stripe's rule too: a detached PaymentMethod is spent).
 */
export async function detachPaymentMethod(merchantId: string, id: string): Promise<PaymentMethodRow> {
  return getDb().transaction(async (tx) => {
    const pm = await lockPaymentMethod(tx, merchantId, id);
    if (!pm.customerId) {
      throw unexpectedState('The PaymentMethod you provided is not attached to a customer so detachment is impossible.');
    }
    const [detached] = await tx.update(paymentMethods).set({ customerId: null, pspToken: null }).where(eq(paymentMethods.id, pm.id)).returning();
    if (!detached) throw new Error(`payment method ${id} vanished under its row lock`);
    return detached;
  });
}

/**
 * Who may be charged with a PaymentMethod on this PaymentIntent: a saved card only for its own
 * customer (the intent must name that customer), and off_session only with a saved card, which is
 * what the cardholder agreed to be charged with when absent.
 */
export function assertPaymentMethodUsable(pm: PaymentMethodRow, pi: Pick<PaymentIntent, 'customerId'>, offSession: boolean): void {
  if (pm.customerId && pi.customerId !== pm.customerId) {
    throw new AppError(
      'payment_method_invalid',
      `The provided PaymentMethod belongs to customer '${pm.customerId}'; the PaymentIntent must be for that customer (pass customer=${pm.customerId}).`,
      { param: 'payment_method' },
    );
  }
  if (offSession && !pm.customerId) {
    throw new AppError('payment_method_invalid', 'off_session payments need a PaymentMethod saved to the customer (attached).', { param: 'off_session' });
  }
  if (!pm.pspToken) throw unexpectedState(REUSE_REFUSED);
}

export const listPaymentMethodsQuery = z
  .object({ ...pageParams, customer: z.string().min(1).max(100), type: z.literal('card').optional() })
  .strict()
  .superRefine(oneCursor);
export const listCustomerPaymentMethodsQuery = z
  .object({ ...pageParams, type: z.literal('card').optional() })
  .strict()
  .superRefine(oneCursor);

/** A customer's saved PaymentMethods, newest first (GET /v1/payment_methods?customer=, /v1/customers/:id/payment_methods). */
export async function listCustomerPaymentMethods(merchantId: string, customerId: string, query: z.output<typeof listCustomerPaymentMethodsQuery>, url: string) {
  await requireLiveCustomer(getDb(), merchantId, customerId, { param: 'customer' });
  const page = await keysetPage<PaymentMethodRow>({
    ...byCreation(paymentMethods),
    request: query,
    scope: and(eq(paymentMethods.merchantId, merchantId), eq(paymentMethods.customerId, customerId), isNotNull(paymentMethods.customerId)),
    filter: query.type ? eq(paymentMethods.type, query.type) : undefined,
    unknownCursor: { error: 'payment_method' },
  });
  return listObject(url, page, serializePaymentMethod);
}
