import { apiDelete, apiGet, apiPost, methodNotAllowed, requireTx } from '@/lib/http/api';
import { deleteCustomerNow, retrieveCustomerJson, serializeCustomer, updateCustomer, updateCustomerBody } from '@/lib/customers';

export const dynamic = 'force-dynamic';

export const GET = apiGet<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await retrieveCustomerJson(merchant.id, params.id) }),
});

export const POST = apiPost<typeof updateCustomerBody, { id: string }>({
  body: updateCustomerBody,
  effects: 'atomic',
  handler: async ({ merchant, params, body }, tx) => ({
    body: serializeCustomer(await updateCustomer(requireTx(tx), merchant.id, params.id, body)),
  }),
});

export const DELETE = apiDelete<{ id: string }>({
  handler: async ({ merchant, params }) => ({ body: await deleteCustomerNow(merchant.id, params.id) }),
});

export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
