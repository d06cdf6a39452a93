import { expandResponse } from '@/lib/api-objects/expand';
import { apiGet, methodNotAllowed } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { retrievePaymentMethodJson, retrievePaymentMethodQuery } from '@/lib/payment-methods';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params, query }) => {
    const input = parseQuery(retrievePaymentMethodQuery, query);
    return { body: await expandResponse(merchant.id, await retrievePaymentMethodJson(merchant.id, params.id), input.expand) };
  },
});

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
