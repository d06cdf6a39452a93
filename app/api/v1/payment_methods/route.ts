import { apiGet, apiPost, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { serializePaymentMethod } from '@/lib/payment-methods';
import { createPaymentMethodBody, createPaymentMethodFromToken, listCustomerPaymentMethods, listPaymentMethodsQuery } from '@/lib/payment-methods/saved-cards';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createPaymentMethodBody,
  // reads the token at the card PSP
  effects: 'external',
  handler: async ({ merchant, body }) => ({ body: serializePaymentMethod(await createPaymentMethodFromToken(merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => {
    const { customer, ...page } = parseQuery(listPaymentMethodsQuery, query);
    return { body: await listCustomerPaymentMethods(merchant.id, customer, page, '/v1/payment_methods') };
  },
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
