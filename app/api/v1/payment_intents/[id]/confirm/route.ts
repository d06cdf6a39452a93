import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { confirmPaymentIntent, confirmPaymentIntentBody } from '@/lib/payments/confirm';
import { serializePaymentIntent } from '@/lib/payments/serialize';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof confirmPaymentIntentBody, { id: string }>({
  body: confirmPaymentIntentBody,
  effects: 'external',
  lockMs: 120_000,
  handler: async ({ merchant, params, body }) => {
    const { paymentIntent, attempt } = await confirmPaymentIntent({
      merchantId: merchant.id,
      paymentIntentId: params.id,
      paymentMethod: body.payment_method,
      customerEmail: body.receipt_email,
      customerIp: body.customer_ip,
      returnUrl: body.return_url,
    });
    return { body: serializePaymentIntent(paymentIntent, attempt) };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
