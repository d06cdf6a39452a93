import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { captureEventOf, ensureCapturePosted } from '@/lib/ledger';
import { createPayout } from '@/lib/payouts';
import { reconcile } from '@/lib/reconciliation';
import { createPaidPayment } from '../helpers/factories';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// The payouts API read by the official Stripe SDK, configured only with our host, port and protocol.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

function sdk(secretKey: string): Stripe {
  const url = new URL(app.url);
  return new Stripe(secretKey, { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0 });
}

describe('payouts through the official stripe SDK', () => {
  it('lists (auto-paginating), retrieves, and lists a payout’s balance transactions', async () => {
    const m = await createTestMerchant('SDK Payouts');
    const ids: string[] = [];
    for (const [i, day] of ['2032-01-02', '2032-01-03', '2032-01-04'].entries()) {
      // a card payment, booked, then settled by reconciling the network's file once it is due
      const pi = await createPaidPayment(apiClient(app, m.secretKey), { amount: 1_000 * (i + 1), currency: 'usd' });
      await ensureCapturePosted(getDb(), await captureEventOf(getDb(), pi.id));
      const today = new Date().toISOString().slice(0, 10);
      await reconcile({ psp: 'sandbox_card', date: today, now: new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000) });
      const outcome = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: `daily:${day}` });
      ids.push(outcome.payout!.id);
    }
    const stripe = sdk(m.secretKey);
    const seen: string[] = [];
    for await (const p of stripe.payouts.list({ limit: 2 })) seen.push(p.id);
    expect(seen.sort()).toEqual([...ids].sort());

    const payout: Stripe.Payout = await stripe.payouts.retrieve(ids[2]!);
    expect(payout).toMatchObject({ id: ids[2], object: 'payout', currency: 'usd', status: 'in_transit', method: 'standard', type: 'bank_account' });
    expect(typeof payout.arrival_date).toBe('number');

    const txns = await stripe.balanceTransactions.list({ payout: ids[2]!, limit: 100 });
    expect(txns.data.map((t) => t.type).sort()).toEqual(['adjustment', 'payout']);
    expect(txns.data.find((t) => t.type === 'payout')?.net).toBe(-payout.amount);

    await expect(stripe.payouts.retrieve('po_doesnotexist000000')).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 404, code: 'resource_missing' });
  });
});
