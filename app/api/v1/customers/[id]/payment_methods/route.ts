import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { listCustomerPaymentMethods, listCustomerPaymentMethodsQuery } from '@/lib/payment-methods/saved-cards';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params, query }) => ({
    body: await listCustomerPaymentMethods(merchant.id, params.id, parseQuery(listCustomerPaymentMethodsQuery, query), `/v1/customers/${params.id}/payment_methods`),
  }),
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
