import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx, type Tx } from '@/db/client';
import { checkoutSessions, merchants, paymentIntents, type CheckoutSession, type LineItemJson, type PaymentIntent } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { metadataSchema } from '@/lib/http/validation';
import { newId } from '@/lib/ids';
import { assertValidAmount, parseCurrency, sumMinor } from '@/lib/money';
import { createPaymentIntent } from '@/lib/payments/intents';
import { serializeCheckoutSession } from '@/lib/payments/serialize';

export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

const httpUrl = z
  .string()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const createCheckoutSessionBody = z
  .object({
    amount: z.number().optional(),
    line_items: z
      .array(
        z
          .object({
            name: z.string().trim().min(1).max(250),
            quantity: z.number().int().min(1).max(999),
            unit_amount: z.number(),
            /** Product images, as Stripe's product_data.images: the pay page shows the first. */
            images: z.array(httpUrl).max(8).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(100)
      .optional(),
    currency: z.string().min(3).max(3),
    success_url: httpUrl,
    cancel_url: httpUrl,
    customer_email: z.string().email().max(320).optional(),
    capture_method: z.enum(['automatic', 'manual']).default('automatic'),
    metadata: metadataSchema.optional(),
    /** Seconds from now until the session expires: 30 minutes to 24 hours (default 24 hours). */
    expires_in: z.number().int().min(1800).max(86400).optional(),
  })
  .strict();
export type CreateCheckoutSessionBody = z.output<typeof createCheckoutSessionBody>;

function lineItemsOf(input: CreateCheckoutSessionBody, currency: ReturnType<typeof parseCurrency>): { items: LineItemJson[]; total: number } {
  if ((input.amount === undefined) === (input.line_items === undefined)) {
    throw new AppError('parameter_invalid', 'Pass exactly one of amount or line_items.', { param: input.amount === undefined ? 'amount' : 'line_items' });
  }
  if (input.amount !== undefined) {
    assertValidAmount(input.amount, currency);
    return { items: [], total: input.amount };
  }
  const items = (input.line_items ?? []).map((li, i) => {
    assertValidAmount(li.unit_amount, currency, `line_items[${i}].unit_amount`);
    return {
      name: li.name,
      quantity: li.quantity,
      unit_amount: li.unit_amount,
      amount_total: li.unit_amount * li.quantity,
      ...(li.images?.length ? { images: li.images } : {}),
    };
  });
  const total = sumMinor(items.map((i) => i.amount_total));
  assertValidAmount(total, currency, 'line_items');
  return { items, total };
}

/** Creates a checkout session and its PaymentIntent in one transaction. */
export async function createCheckoutSession(tx: Tx, merchantId: string, input: CreateCheckoutSessionBody): Promise<{ session: CheckoutSession; paymentIntent: PaymentIntent }> {
  const currency = parseCurrency(input.currency);
  const { items, total } = lineItemsOf(input, currency);
  const sessionId = newId('checkoutSession');
  const paymentIntent = await createPaymentIntent(tx, merchantId, {
    amount: total,
    currency,
    capture_method: input.capture_method,
    receipt_email: input.customer_email,
    metadata: input.metadata,
    checkoutSessionId: sessionId,
  });
  const createdAt = new Date();
  const [session] = await tx
    .insert(checkoutSessions)
    .values({
      id: sessionId,
      merchantId,
      paymentIntentId: paymentIntent.id,
      status: 'open',
      amountTotal: total,
      currency,
      lineItems: items,
      successUrl: input.success_url,
      cancelUrl: input.cancel_url,
      customerEmail: input.customer_email?.toLowerCase() ?? null,
      metadata: input.metadata ?? {},
      // created and expires_at from one instant, so expires_at - created is exactly the TTL asked for
      createdAt,
      expiresAt: new Date(createdAt.getTime() + (input.expires_in ? input.expires_in * 1000 : DEFAULT_SESSION_TTL_MS)),
    })
    .returning();
  if (!session) throw new Error('checkout session insert returned nothing');
  return { session, paymentIntent };
}

export async function getCheckoutSession(db: DbOrTx, merchantId: string, id: string) {
  const [row] = await db
    .select({ session: checkoutSessions, pi: paymentIntents })
    .from(checkoutSessions)
    .innerJoin(paymentIntents, eq(paymentIntents.id, checkoutSessions.paymentIntentId))
    .where(and(eq(checkoutSessions.id, id), eq(checkoutSessions.merchantId, merchantId)));
  if (!row) throw new AppError('resource_missing', `No such checkout.session: '${id}'`, { param: 'id' });
  return row;
}

export async function retrieveCheckoutSessionJson(merchantId: string, id: string, appUrl: string) {
  const { session, pi } = await getCheckoutSession(getDb(), merchantId, id);
  return serializeCheckoutSession(session, pi, appUrl);
}

/** The pay page's view of a session, looked up by its id alone (the id is the customer's handle). */
export async function findSessionForCustomer(id: string) {
  if (!/^cs_[0-9A-Za-z]{8,64}$/.test(id)) return null;
  const [row] = await getDb()
    .select({ session: checkoutSessions, pi: paymentIntents, merchantName: merchants.name })
    .from(checkoutSessions)
    .innerJoin(paymentIntents, eq(paymentIntents.id, checkoutSessions.paymentIntentId))
    .innerJoin(merchants, eq(merchants.id, checkoutSessions.merchantId))
    .where(eq(checkoutSessions.id, id));
  return row ?? null;
}

/** `{CHECKOUT_SESSION_ID}` in a success URL is replaced by the session id, as Stripe does. */
export function successUrlFor(session: CheckoutSession): string {
  return session.successUrl.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

export function isExpired(session: CheckoutSession, now = new Date()): boolean {
  return session.status === 'expired' || (session.status === 'open' && session.expiresAt.getTime() <= now.getTime());
}
