'use server';

import type { ActionResult } from '@/lib/dashboard/actor';
import {
  cancelPayment,
  capturePayment,
  refundPayment,
  type PaymentActionResult,
  type RefundResult,
} from '@/lib/dashboard/payment-actions';
import { field, optionalField, runGuarded } from '../../run-action';

function paths(form: FormData): string[] {
  return [
    '/dashboard',
    '/dashboard/payments',
    `/dashboard/payments/${field(form, 'paymentIntentId') ?? ''}`,
    '/dashboard/balances',
  ];
}

export async function refundAction(
  _prev: ActionResult<RefundResult> | null,
  form: FormData,
): Promise<ActionResult<RefundResult>> {
  return runGuarded(
    'payments:write',
    (actor) =>
      refundPayment(actor, {
        paymentIntentId: field(form, 'paymentIntentId'),
        amount: optionalField(form, 'amount'),
        reason: optionalField(form, 'reason'),
        clickKey: field(form, 'clickKey'),
      }),
    paths(form),
  );
}

export async function captureAction(
  _prev: ActionResult<PaymentActionResult> | null,
  form: FormData,
): Promise<ActionResult<PaymentActionResult>> {
  return runGuarded(
    'payments:write',
    (actor) =>
      capturePayment(actor, {
        paymentIntentId: field(form, 'paymentIntentId'),
        amount: optionalField(form, 'amount'),
        clickKey: field(form, 'clickKey'),
      }),
    paths(form),
  );
}

export async function cancelAction(
  _prev: ActionResult<PaymentActionResult> | null,
  form: FormData,
): Promise<ActionResult<PaymentActionResult>> {
  return runGuarded(
    'payments:write',
    (actor) =>
      cancelPayment(actor, {
        paymentIntentId: field(form, 'paymentIntentId'),
        reason: optionalField(form, 'reason'),
        clickKey: field(form, 'clickKey'),
      }),
    paths(form),
  );
}
