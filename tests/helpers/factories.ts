import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { getDb } from '@/db/client';
import { paymentAttempts, type PaymentAttempt } from '@/db/schema';
import type { apiClient } from './test-app';

// Factories beside the merchant's (createTestMerchant in test-app.ts): each builds its object
// through the public API, as a merchant's server would, and fails the test if the API refuses.

type Api = ReturnType<typeof apiClient>;

/** A checkout session for one mug in USD unless `params` says otherwise (fields replace, not merge). */
export async function createTestCheckoutSession(api: Api, params: Record<string, unknown> = {}): Promise<any> {
  const res = await api.post('/api/v1/checkout/sessions', {
    line_items: [{ name: 'Mug', quantity: 1, unit_amount: 1200 }],
    currency: 'usd',
    success_url: 'https://shop.example/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://shop.example/cart',
    ...params,
  });
  expect(res.status).toBe(200);
  return res.body;
}

/** A payment intent of 10.00 USD unless `params` says otherwise. */
export async function createTestPaymentIntent(api: Api, params: Record<string, unknown> = {}): Promise<any> {
  const res = await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd', ...params });
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * A payment the customer has paid: a payment intent confirmed with a sandbox test card (default
 * pm_card_visa), succeeded, or requires_capture when `params.capture_method` is manual.
 */
export async function createPaidPayment(api: Api, params: Record<string, unknown> = {}, paymentMethod = 'pm_card_visa'): Promise<any> {
  const pi = await createTestPaymentIntent(api, params);
  const confirmed = (await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: paymentMethod })).body;
  expect(confirmed.status).toBe(params.capture_method === 'manual' ? 'requires_capture' : 'succeeded');
  return pi;
}

/** The payment intent's first attempt (the oldest, if failover or a retry made more). */
export async function attemptOf(paymentIntentId: string): Promise<PaymentAttempt> {
  const [attempt] = await getDb()
    .select()
    .from(paymentAttempts)
    .where(eq(paymentAttempts.paymentIntentId, paymentIntentId))
    .orderBy(paymentAttempts.createdAt);
  expect(attempt, `no attempt for ${paymentIntentId}`).toBeDefined();
  return attempt!;
}
