import { confirmPaymentIntentByMpesa } from '@/lib/checkout/mpesa';
import { apiPost } from '@/lib/http/api';
import { confirmPaymentIntent, confirmPaymentIntentBody } from '@/lib/payments/confirm';
import { serializePaymentIntent } from '@/lib/payments/serialize';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof confirmPaymentIntentBody, { id: string }>({
  body: confirmPaymentIntentBody,
  effects: 'external',
  lockMs: 120_000,
  handler: async ({ merchant, params, body }) => {
    if (body.payment_method_data?.type === 'mpesa') {
      // our extension: an STK push to the payer's phone; the intent answers processing
      const pushed = await confirmPaymentIntentByMpesa({
        merchantId: merchant.id,
        paymentIntentId: params.id,
        phone: body.payment_method_data.mpesa.phone,
        customerEmail: body.receipt_email,
        customerIp: body.customer_ip,
      });
      return { body: { ...serializePaymentIntent(pushed.paymentIntent, pushed.attempt), next_action: pushed.nextAction } };
    }
    const { paymentIntent, attempt } = await confirmPaymentIntent({
      merchantId: merchant.id,
      paymentIntentId: params.id,
      paymentMethod: body.payment_method!,
      customerEmail: body.receipt_email,
      customerIp: body.customer_ip,
      returnUrl: body.return_url,
    });
    return { body: serializePaymentIntent(paymentIntent, attempt) };
  },
});
