import { getDb } from '@/db/client';
import { AppError } from '@/lib/errors';
import { confirmPaymentIntentByMpesa, openStkPushAction } from '@/lib/checkout/mpesa';
import { assertOneMethodGiven, assertTakesMethod, confirmWithParams, type ConfirmParams } from '@/lib/payments/confirm';
import {
  assertClientSecret,
  createPaymentIntent,
  getPaymentIntent,
  retrievePaymentIntentJson,
  type CreatePaymentIntentBody,
} from '@/lib/payments/intents';

/**
 * Runs a confirmation and, when it ends in a card error (a decline, a failed authentication, a
 * risk block), puts the intent as it now stands inside the error, as Stripe does
 * (`error.payment_intent`), so the SDK's StripeCardError carries it. The error is stored by the
 * idempotency layer like any answer, so a replay shows the same intent.
 */
export async function withCardErrorIntent<T>(merchantId: string, paymentIntentId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof AppError) || err.type !== 'card_error') throw err;
    const paymentIntent = await retrievePaymentIntentJson(merchantId, paymentIntentId);
    throw new AppError(err.code, err.message, {
      param: err.param,
      declineCode: err.declineCode,
      cause: err,
      conflict: err.conflict,
      paymentIntent,
    });
  }
}

/**
 * GET /payment_intents/:id. With Stripe.js's `client_secret` it must be this intent's; with the
 * publishable key it is required, and the answer is the part of the intent the customer's browser
 * may see (as Stripe's: no metadata, customer, or charge and attempt ids).
 */
export async function retrieveWithClientSecret(
  merchantId: string,
  id: string,
  clientSecret: string | undefined,
  publishable = false,
) {
  if (publishable && clientSecret === undefined) {
    throw new AppError('parameter_missing', 'A publishable key can only retrieve a PaymentIntent with its client_secret.', {
      param: 'client_secret',
    });
  }
  const pi = await getPaymentIntent(getDb(), merchantId, id);
  if (clientSecret !== undefined) assertClientSecret(pi, clientSecret);
  const read = await retrievePaymentIntentJson(merchantId, id);
  // our M-Pesa extension: while the STK push is open on the phone, every read says so, as the confirm did
  const stkPush =
    read.next_action === null ? await openStkPushAction({ status: read.status, latestAttemptId: pi.latestAttemptId }) : null;
  const json = stkPush ? { ...read, next_action: stkPush } : read;
  return publishable ? publishableView(json) : json;
}

const PUBLISHABLE_FIELDS = [
  'id',
  'object',
  'amount',
  'amount_details',
  'automatic_payment_methods',
  'canceled_at',
  'cancellation_reason',
  'capture_method',
  'client_secret',
  'confirmation_method',
  'created',
  'currency',
  'description',
  'last_payment_error',
  'livemode',
  'next_action',
  'payment_method',
  'payment_method_types',
  'processing',
  'receipt_email',
  'setup_future_usage',
  'shipping',
  'source',
  'status',
] as const;

function publishableView(json: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(PUBLISHABLE_FIELDS.filter((k) => Object.hasOwn(json, k)).map((k) => [k, json[k]]));
}

/**
 * POST /payment_intents with confirm=true: the intent is created in its own transaction, then
 * confirmed as POST /:id/confirm would (the PSP is called outside any transaction). A decline
 * leaves the intent created, in requires_payment_method, as Stripe's does.
 */
export async function createAndConfirmPaymentIntent(merchantId: string, body: CreatePaymentIntentBody) {
  const pi = await getDb().transaction((tx) => createPaymentIntent(tx, merchantId, body));
  return confirmPaymentIntentJson(merchantId, pi.id, body);
}

/**
 * POST /payment_intents/:id/confirm (and create with confirm=true), answered with the intent as it
 * now stands. A card is confirmed at once (card errors carry the intent); our M-Pesa extension
 * (`payment_method_data: {type: "mpesa", mpesa: {phone}}`) sends the STK push and answers
 * processing with `next_action: mpesa_stk_push`, the outcome following by webhook or polling.
 */
export async function confirmPaymentIntentJson(merchantId: string, paymentIntentId: string, params: ConfirmParams) {
  assertOneMethodGiven(params);
  const data = params.payment_method_data;
  if (data?.type === 'mpesa') {
    assertTakesMethod(await getPaymentIntent(getDb(), merchantId, paymentIntentId), 'mpesa', 'payment_method_data[type]');
    const pushed = await confirmPaymentIntentByMpesa({
      merchantId,
      paymentIntentId,
      phone: data.mpesa.phone,
      customerEmail: params.receipt_email,
      customerIp: params.customer_ip,
    });
    const json = await retrievePaymentIntentJson(merchantId, paymentIntentId);
    return pushed.nextAction ? { ...json, next_action: pushed.nextAction } : json;
  }
  await withCardErrorIntent(merchantId, paymentIntentId, () => confirmWithParams(merchantId, paymentIntentId, params));
  return retrievePaymentIntentJson(merchantId, paymentIntentId);
}
