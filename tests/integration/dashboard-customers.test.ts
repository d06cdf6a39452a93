import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCustomerDetail, listDashboardCustomers } from '@/lib/dashboard/customers';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';

/** The dashboard's Customers section reads only the merchant's own customers, payments and cards. */

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  merchant = await createTestMerchant();
  api = apiClient(app, merchant.secretKey);
});
afterAll(() => app.close());

describe('Customers in the dashboard', () => {
  it('lists the merchant’s live customers with their payments and money received, never another merchant’s', async () => {
    const ada = (await api.post('/v1/customers', { email: 'ada@example.test', name: 'Ada' })).body;
    const bob = (await api.post('/v1/customers', { email: 'bob@example.test' })).body;
    const gone = (await api.post('/v1/customers', { email: 'gone@example.test' })).body;
    await fetch(`${app.url}/v1/customers/${gone.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${merchant.secretKey}` } });
    const token = await tokenizeCard(app, '4242424242424242', { merchantId: merchant.merchant.id });
    const paid = await api.post('/v1/payment_intents', { amount: 2500, currency: 'usd', customer: ada.id, payment_method: token, confirm: true });
    expect(paid.body.status).toBe('succeeded');
    await api.post('/v1/payment_intents', { amount: 900, currency: 'usd', customer: ada.id });
    const other = await createTestMerchant('Other');
    await apiClient(app, other.secretKey).post('/v1/customers', { email: 'ada@example.test' });

    const { rows } = await listDashboardCustomers(merchant.merchant.id);
    expect(rows.map((r) => r.customer.id)).toEqual([bob.id, ada.id]);
    const adaRow = rows.find((r) => r.customer.id === ada.id)!;
    expect(adaRow.payments).toBe(2);
    expect(adaRow.received).toEqual([{ currency: 'usd', amount: 2500 }]);
    expect((await listDashboardCustomers(merchant.merchant.id, { q: 'ADA@' })).rows.map((r) => r.customer.id)).toEqual([ada.id]);

    const detail = await getCustomerDetail(merchant.merchant.id, ada.id);
    expect(detail!.payments.map((p) => p.amount)).toEqual([900, 2500]);
    expect(await getCustomerDetail(other.merchant.id, ada.id)).toBeNull();
    expect((await getCustomerDetail(merchant.merchant.id, gone.id))!.customer.deletedAt).toBeInstanceOf(Date);
  });
});
