import type { CircuitBreakerPolicy } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, createRetryPolicy } from '@/lib/resilience/policies';
import { createDarajaClient, DARAJA_CAPABILITIES } from './daraja/client';
import { defaultDarajaPolicies, withDarajaResilience } from './daraja';
import { withResilience } from './index';
import { createSandboxCardAdapter } from './sandbox-card';
import { STRIPE_CAPABILITIES } from './stripe/constants';
import { createStripeAdapter, toSettlementLine } from './stripe/adapter';
import { NO_CAPABILITIES, PspError, type CardPspAdapter } from './types';

// Each adapter declares what it can do; the resilience wrappers pass it (and the report) through.

const unused = () => Promise.reject(new Error('unused'));
const passThroughPolicy = () => createRetryPolicy({ strategy: 'exponential', maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1, totalTimeoutMs: 5_000, isTransient: (e) => e instanceof PspError && e.kind === 'timeout' });
const breaker = (): CircuitBreakerPolicy => createCircuitBreaker({ failureThreshold: 5, halfOpenAfterMs: 60_000, isFailure: () => true });

function bareAdapter(extra: Partial<CardPspAdapter> = {}): CardPspAdapter {
  return { name: 'bare', retrieveCardToken: unused, authorize: unused, retrieve: unused, capture: unused, cancel: unused, refund: unused, retrieveRefund: unused, ...extra };
}

describe('declared capabilities', () => {
  it('Stripe: cards, synchronous, 3-D Secure, refunds', () => {
    const adapter = createStripeAdapter({ secretKey: 'sk_test_x', apiBase: 'http://127.0.0.1:1' });
    expect(adapter.capabilities).toEqual(STRIPE_CAPABILITIES);
    expect(STRIPE_CAPABILITIES).toMatchObject({ methods: ['card'], asynchronous: false, threeDSecure: true, refunds: true });
  });

  it('sandbox card network: cards with 3-D Secure', () => {
    expect(createSandboxCardAdapter({ baseUrl: 'http://127.0.0.1:1', acquirerKey: 'k' }).capabilities).toMatchObject({ methods: ['card'], threeDSecure: true });
  });

  it('Daraja: M-Pesa in KES, asynchronous, no 3-D Secure, refunds (Reversal / B2C), and no settlement API', async () => {
    const config = { baseUrl: 'http://127.0.0.1:1', consumerKey: 'k', consumerSecret: 's', shortcode: '174379', passkey: 'p', timeoutMs: 1_000 };
    const client = withDarajaResilience(createDarajaClient(config), defaultDarajaPolicies());
    expect(client.capabilities).toEqual({ methods: ['mpesa'], currencies: ['kes'], asynchronous: true, threeDSecure: false, refunds: true });
    expect(client.capabilities).toBe(DARAJA_CAPABILITIES);
    // No HTTP call is made (the base URL is closed): M-Pesa settlement is the org portal statement.
    await expect(client.settlementReport({ from: new Date(0), to: new Date() })).resolves.toEqual([]);
  });
});

describe('resilience wrapper', () => {
  it('passes capabilities and the settlement report through, retrying a transient failure', async () => {
    let calls = 0;
    const line = { pspReference: 'l1', type: 'charge' as const, amountMinor: 1, feeMinor: 0, netMinor: 1, currency: 'usd', availableOn: new Date(0) };
    const inner = bareAdapter({
      capabilities: STRIPE_CAPABILITIES,
      settlementReport: () => (++calls === 1 ? Promise.reject(new PspError('timeout', 'slow', true)) : Promise.resolve([line])),
    });
    const wrapped = withResilience(inner, passThroughPolicy(), breaker());
    expect(wrapped.capabilities).toBe(STRIPE_CAPABILITIES);
    await expect(wrapped.settlementReport!({ from: new Date(0), to: new Date() })).resolves.toEqual([line]);
    expect(calls).toBe(2);
  });

  it('treats an adapter that declares nothing as able to do nothing', async () => {
    const wrapped = withResilience(bareAdapter(), passThroughPolicy(), breaker());
    expect(wrapped.capabilities).toEqual(NO_CAPABILITIES);
    await expect(wrapped.settlementReport!({ from: new Date(0), to: new Date() })).rejects.toMatchObject({ kind: 'rejected', requestSent: false });
  });
});

describe('Stripe balance transaction -> settlement line', () => {
  const bt = (type: string, extra: Record<string, unknown> = {}) =>
    ({ id: 'txn_1', object: 'balance_transaction', type, amount: 1000, fee: 59, net: 941, currency: 'eur', available_on: 1_767_312_000, source: 'ch_1', ...extra }) as unknown as Parameters<typeof toSettlementLine>[0];

  it('maps charge, refund, payout and stripe_fee, with the payment intent of an expanded source', () => {
    expect(toSettlementLine(bt('charge', { source: { id: 'ch_1', object: 'charge', payment_intent: 'pi_1' } }))).toEqual({
      pspReference: 'txn_1',
      type: 'charge',
      amountMinor: 1000,
      feeMinor: 59,
      netMinor: 941,
      currency: 'eur',
      paymentReference: 'pi_1',
      availableOn: new Date(1_767_312_000_000),
    });
    expect(toSettlementLine(bt('payment_refund', { amount: -500, fee: 0, net: -500, source: { id: 're_1', object: 'refund', payment_intent: { id: 'pi_1' } } }))).toMatchObject({ type: 'refund', amountMinor: -500, paymentReference: 'pi_1' });
    expect(toSettlementLine(bt('payout'))).toMatchObject({ type: 'payout' });
    expect(toSettlementLine(bt('payout'))).not.toHaveProperty('paymentReference');
    expect(toSettlementLine(bt('stripe_fee'))).toMatchObject({ type: 'fee' });
  });

  it('leaves out types that are not settlement lines of ours', () => {
    expect(toSettlementLine(bt('adjustment'))).toBeUndefined();
    expect(toSettlementLine(bt('transfer'))).toBeUndefined();
  });
});
