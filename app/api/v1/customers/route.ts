import { apiGet, apiPost, requireTx } from '@/lib/http/api';
import { parseInput } from '@/lib/http/validation';
import { createCustomer, createCustomerBody, listCustomers, listCustomersQuery, serializeCustomer } from '@/lib/customers';

export const dynamic = 'force-dynamic';

export const POST = apiPost({
  body: createCustomerBody,
  effects: 'atomic',
  handler: async ({ merchant, body }, tx) => ({ body: serializeCustomer(await createCustomer(requireTx(tx), merchant.id, body)) }),
});

export const GET = apiGet({
  handler: async ({ merchant, query }) => ({
    body: await listCustomers(merchant.id, parseInput(listCustomersQuery, Object.fromEntries(query))),
  }),
});
