import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentDisputes } from '@/db/schema';
import { newId } from '@/lib/ids';
import { createPaidPayment } from '../helpers/factories';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * A retrieved PaymentIntent and a retrieved charge are each read in one statement (their facts as
 * subqueries), while lists read the same facts in batches (chargeFacts, refundedAmounts). Both
 * paths must show the same object: refunded amounts and disputes.
 */

let app: TestApp;
let api: ReturnType<typeof apiClient>;
let merchantId: string;
beforeAll(async () => {
  app = await startTestApp();
  const m = await createTestMerchant();
  merchantId = m.merchant.id;
  api = apiClient(app, m.secretKey);
});
afterAll(() => app.close());

describe('objects read in one statement', () => {
  it('show a charge as its list does, refunds and disputes included', async () => {
    const pi = await createPaidPayment(api, { amount: 5000 });
    expect((await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 1200 })).status).toBe(200);
    expect((await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 300 })).status).toBe(200);
    const disputedAt = new Date(Date.now() - 1000);
    await getDb().insert(paymentDisputes).values({
      id: newId('paymentDispute'),
      merchantId,
      paymentIntentId: pi.id,
      psp: 'sandbox_card',
      pspDisputeId: `dp_${newId('paymentDispute').slice(3)}`,
      amount: 5000,
      currency: 'usd',
      reason: 'fraudulent',
      status: 'needs_response',
      disputedAt,
    });

    const retrieved = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body;
    expect(retrieved.amount_refunded).toBe(1500);
    expect(retrieved.disputes).toEqual([
      expect.objectContaining({ amount: 5000, currency: 'usd', reason: 'fraudulent', status: 'needs_response', created: Math.floor(disputedAt.getTime() / 1000) }),
    ]);
    const listed = (await api.get('/api/v1/payment_intents?limit=100')).body.data.find((p: { id: string }) => p.id === pi.id);
    expect(listed.amount_refunded).toBe(retrieved.amount_refunded);

    const chargeId = retrieved.latest_charge as string;
    const charge = (await api.get(`/api/v1/charges/${chargeId}`)).body;
    const inList = (await api.get(`/api/v1/charges?payment_intent=${pi.id}`)).body.data;
    expect(inList).toHaveLength(1);
    expect(charge).toEqual(inList[0]);
    expect(charge).toMatchObject({ id: chargeId, amount_refunded: 1500, disputed: true, refunded: false });
  });

  it('answers 404 for an intent or charge of another merchant', async () => {
    const pi = await createPaidPayment(api);
    const other = apiClient(app, (await createTestMerchant('Other')).secretKey);
    expect((await other.get(`/api/v1/payment_intents/${pi.id}`)).status).toBe(404);
    const chargeId = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body.latest_charge as string;
    expect((await other.get(`/api/v1/charges/${chargeId}`)).status).toBe(404);
  });
});
