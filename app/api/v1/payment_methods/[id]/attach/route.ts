import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { serializePaymentMethod } from '@/lib/payment-methods';
import { attachPaymentMethod, attachPaymentMethodBody } from '@/lib/payment-methods/saved-cards';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof attachPaymentMethodBody, { id: string }>({
  body: attachPaymentMethodBody,
  // saves the card at the card network (a card on file) before recording the attachment
  effects: 'external',
  handler: async ({ merchant, params, body }) => ({
    body: serializePaymentMethod(await attachPaymentMethod(merchant.id, params.id, body.customer)),
  }),
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
