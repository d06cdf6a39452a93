import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSessionUser, verifyLogin } from '@/lib/auth/users';
import { getMerchantPaymentDetail, listMerchantPayments } from '@/lib/dashboard/payments';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

describe('dashboard login', () => {
  it('accepts the right password (email in any case) and refuses wrong or unknown ones', async () => {
    const m = await createTestMerchant('Login Shop');
    const user = await verifyLogin(m.email.toUpperCase(), m.password);
    expect(user).toMatchObject({ merchantId: m.merchant.id, role: 'owner', merchantName: 'Login Shop' });
    expect(await verifyLogin(m.email, `${m.password}x`)).toBeNull();
    expect(await verifyLogin('nobody@example.test', m.password)).toBeNull();
    expect(await findSessionUser(user!.id)).toEqual(user);
    expect(await findSessionUser('usr_missing')).toBeNull();
  });
});

describe('dashboard payment queries', () => {
  it('lists only the merchant’s payments, filters by status, pages with a cursor, and hides others’ details', async () => {
    const a = await createTestMerchant('A');
    const b = await createTestMerchant('B');
    const apiA = apiClient(app, a.secretKey);
    const paid = (await apiA.post('/api/v1/payment_intents', { amount: 500, currency: 'usd', receipt_email: 'x@example.test' })).body;
    await apiA.post(`/api/v1/payment_intents/${paid.id}/confirm`, { payment_method: 'pm_card_visa' });
    for (let i = 0; i < 3; i++) await apiA.post('/api/v1/payment_intents', { amount: 100 + i, currency: 'eur' });
    const all = await listMerchantPayments(a.merchant.id, { limit: 2 });
    expect(all.rows).toHaveLength(2);
    expect(all.nextCursor).toBe(all.rows[1]!.id);
    const rest = await listMerchantPayments(a.merchant.id, { limit: 2, before: all.nextCursor! });
    expect(rest.rows).toHaveLength(2);
    expect(rest.nextCursor).toBeNull();
    const succeeded = await listMerchantPayments(a.merchant.id, { status: 'succeeded' });
    expect(succeeded.rows).toEqual([expect.objectContaining({ id: paid.id, card: { brand: 'visa', last4: '4242' }, email: 'x@example.test' })]);
    expect((await listMerchantPayments(b.merchant.id)).rows).toEqual([]);
    const detail = await getMerchantPaymentDetail(a.merchant.id, paid.id);
    expect(detail?.attempts).toHaveLength(1);
    expect(detail?.events.map((e) => e.type)).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
    expect(await getMerchantPaymentDetail(b.merchant.id, paid.id)).toBeNull();
  });
});
