import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { serializePaymentMethod } from '@/lib/payment-methods';
import { detachPaymentMethod, detachPaymentMethodBody } from '@/lib/payment-methods/saved-cards';

export const dynamic = 'force-dynamic';

export const POST = apiPost<typeof detachPaymentMethodBody, { id: string }>({
  body: detachPaymentMethodBody,
  // one transaction of its own (the method's row lock)
  effects: 'external',
  handler: async ({ merchant, params }) => ({ body: serializePaymentMethod(await detachPaymentMethod(merchant.id, params.id)) }),
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
