import { z } from 'zod';
import { parseFormInput } from '@/lib/http/validation';
import { getDb } from '@/db/client';
import { AppError, ERROR_CODES, type ErrorCode } from '@/lib/errors';
import { withIdempotentCall, type StoredResponse } from '@/lib/idempotency';
import { getPaymentIntent } from '@/lib/payments/intents';
import { cancelPaymentIntent, capturePaymentIntent } from '@/lib/payments/cancel-capture';
import { createRefund, serializeRefund } from '@/lib/refunds';
import { audit, authorize, type DashboardActor } from './actor';
import { parseMajorAmount } from './amounts';

/**
 * Dashboard money actions: owner only. Each form carries a key generated when it rendered (one
 * per click), and the domain call runs under it through the idempotency store, so a double click
 * or a resubmitted form does the thing once and shows the first result again.
 */

const clickKey = z.string().regex(/^[A-Za-z0-9-]{8,100}$/, 'The form is out of date; reload the page and try again.');
const paymentId = z.string().min(1).max(100);

export const refundInput = z.object({
  paymentIntentId: paymentId,
  /** Major units as typed; empty = the whole remaining amount. */
  amount: z.string().max(30).optional(),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  clickKey,
});

export const captureInput = z.object({ paymentIntentId: paymentId, amount: z.string().max(30).optional(), clickKey });

export const cancelInput = z.object({
  paymentIntentId: paymentId,
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']).optional(),
  clickKey,
});

/** Turns a replayed stored failure back into the error the first click saw. */
function unwrap<T>(outcome: StoredResponse): T {
  if (outcome.status < 400) return outcome.body as T;
  const error = (outcome.body as { error?: { code?: string; message?: string } } | null)?.error;
  const code = (error?.code && Object.hasOwn(ERROR_CODES, error.code) ? error.code : 'parameter_invalid') as ErrorCode;
  throw new AppError(code, error?.message ?? 'This action failed.');
}

async function amountFor(actor: DashboardActor, id: string, amount: string | undefined): Promise<number | undefined> {
  if (!amount?.trim()) return undefined;
  const pi = await getPaymentIntent(getDb(), actor.user.merchantId, id);
  return parseMajorAmount(amount, pi.currency);
}

export interface RefundResult {
  id: string;
  amount: number;
  currency: string;
  status: string;
}

export async function refundPayment(actor: DashboardActor, raw: unknown): Promise<RefundResult> {
  authorize(actor, 'payments:write');
  const input = parseFormInput(refundInput, raw);
  const amount = await amountFor(actor, input.paymentIntentId, input.amount);
  const body = { payment_intent: input.paymentIntentId, amount, reason: input.reason };
  const outcome = await withIdempotentCall(
    { merchantId: actor.user.merchantId, key: `dash:${input.clickKey}`, endpoint: 'dashboard:refund', body },
    async () => {
      // Safe once per click: the key above is claimed before createRefund runs.
      const refund = await createRefund(actor.user.merchantId, body);
      await audit(
        getDb(),
        actor,
        'payment.refund',
        { type: 'refund', id: refund.id },
        {
          payment_intent: refund.paymentIntentId,
          amount: refund.amount,
          currency: refund.currency,
          reason: refund.reason,
        },
      );
      return { status: 200, body: serializeRefund(refund) };
    },
  );
  const refund = unwrap<ReturnType<typeof serializeRefund>>(outcome);
  return { id: refund.id, amount: refund.amount, currency: refund.currency, status: refund.status };
}

export interface PaymentActionResult {
  id: string;
  status: string;
  amountReceived: number;
}

export async function capturePayment(actor: DashboardActor, raw: unknown): Promise<PaymentActionResult> {
  authorize(actor, 'payments:write');
  const input = parseFormInput(captureInput, raw);
  const amount = await amountFor(actor, input.paymentIntentId, input.amount);
  const body = { payment_intent: input.paymentIntentId, amount_to_capture: amount };
  const outcome = await withIdempotentCall(
    { merchantId: actor.user.merchantId, key: `dash:${input.clickKey}`, endpoint: 'dashboard:capture', body },
    async () => {
      // Safe to re-run: capture checks the state and keys the PSP call by the attempt.
      const pi = await capturePaymentIntent(actor.user.merchantId, input.paymentIntentId, amount);
      await audit(
        getDb(),
        actor,
        'payment.capture',
        { type: 'payment_intent', id: pi.id },
        { amount_received: pi.amountReceived, currency: pi.currency },
      );
      return { status: 200, body: { id: pi.id, status: pi.status, amountReceived: pi.amountReceived } };
    },
  );
  return unwrap<PaymentActionResult>(outcome);
}

export async function cancelPayment(actor: DashboardActor, raw: unknown): Promise<PaymentActionResult> {
  authorize(actor, 'payments:write');
  const input = parseFormInput(cancelInput, raw);
  const body = { payment_intent: input.paymentIntentId, cancellation_reason: input.reason };
  const outcome = await withIdempotentCall(
    { merchantId: actor.user.merchantId, key: `dash:${input.clickKey}`, endpoint: 'dashboard:cancel', body },
    async () => {
      // Safe to re-run: cancel checks the state and keys the PSP call by the attempt.
      const pi = await cancelPaymentIntent(actor.user.merchantId, input.paymentIntentId, input.reason);
      await audit(getDb(), actor, 'payment.cancel', { type: 'payment_intent', id: pi.id }, { reason: input.reason ?? null });
      return { status: 200, body: { id: pi.id, status: pi.status, amountReceived: pi.amountReceived } };
    },
  );
  return unwrap<PaymentActionResult>(outcome);
}
