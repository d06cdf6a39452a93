import { apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { parseQuery } from '@/lib/http/validation';
import { createCustomer, createCustomerBody, listCustomers, listCustomersQuery, serializeCustomer } from '@/lib/customers';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createCustomerBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: serializeCustomer(await createCustomer(requireTx(tx), merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await listCustomers(merchant.id, parseQuery(listCustomersQuery, query)),
  }),
});

export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
