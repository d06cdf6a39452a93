import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env, resetEnvCache } from '@/lib/env';
import { resetCardPsp, routeCardPayment } from '@/lib/psp';
import { createSandboxCardAdapter } from '@/lib/psp/sandbox-card';
import { createStripeAdapter } from '@/lib/psp/stripe/adapter';
import type { CardPspAdapter, SettlementLine } from '@/lib/psp/types';
import { handleSandboxCardRequest } from '@/sandbox/card';
import { startFakeStripe, type FakeBalanceTransaction, type FakeStripe } from '../helpers/fake-stripe';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { createTestMerchant, tokenizeCard } from '../helpers/test-app';

// Settlement reports through the adapters, against the real sandbox network and the Stripe fake:
// pay, capture part, refund part, then the report holds exactly the money that moved.

let sandbox: FetchServer;
let fake: FakeStripe;
let keyCounter = 0;
const key = () => `settle_${Date.now()}_${++keyCounter}`;
const sum = (lines: SettlementLine[], field: 'amountMinor' | 'feeMinor' | 'netMinor') => lines.reduce((s, l) => s + l[field], 0);
const nextUtcMidnight = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));

beforeAll(async () => {
  sandbox = await startFetchServer(handleSandboxCardRequest);
  process.env.SANDBOX_CARD_URL = sandbox.url;
  resetEnvCache();
  fake = await startFakeStripe();
});

afterAll(async () => {
  await sandbox?.close();
  await fake?.close();
  delete process.env.SANDBOX_CARD_URL;
  resetEnvCache();
  resetCardPsp();
});

const tokenize = (number: string) => tokenizeCard(sandbox, number);

/** Authorize 10_000, capture 6_001, refund 2_000 of it; plus an automatic capture of 100; plus an authorization never captured. */
async function payCaptureRefund(adapter: CardPspAdapter, token: () => Promise<string>) {
  const held = await adapter.authorize({ idempotencyKey: key(), amount: 10_000, currency: 'usd', token: await token(), capture: false });
  expect(held.status).toBe('authorized');
  expect((await adapter.capture(held.pspReference, 6_001, key())).amountCaptured).toBe(6_001);
  const refund = await adapter.refund(held.pspReference, 2_000, key());
  expect(refund.status).toBe('succeeded');
  const small = await adapter.authorize({ idempotencyKey: key(), amount: 100, currency: 'usd', token: await token(), capture: true });
  expect(small.status).toBe('captured');
  const open = await adapter.authorize({ idempotencyKey: key(), amount: 700, currency: 'usd', token: await token(), capture: false });
  expect(open.status).toBe('authorized');
  return { held, refund, small, open };
}

describe('sandbox card network settlement report', () => {
  it('has one charge line per capture (gross, 1.5% fee half up, net) and a negative line per refund', async () => {
    const adapter = createSandboxCardAdapter({ baseUrl: sandbox.url, timeoutMs: 10_000 });
    const from = new Date();
    const { held, refund, small, open } = await payCaptureRefund(adapter, () => tokenize('4242424242424242'));
    const to = new Date(Date.now() + 1_000);

    const ours = new Set([held.pspReference, small.pspReference, open.pspReference]);
    const lines = (await adapter.settlementReport!({ from, to })).filter((l) => ours.has(l.paymentReference ?? ''));
    expect(lines).toHaveLength(3);
    const charge = lines.find((l) => l.pspReference === held.pspReference)!;
    // 1.5% of 6_001 = 90.015 -> 90
    expect(charge).toMatchObject({ type: 'charge', amountMinor: 6_001, feeMinor: 90, netMinor: 5_911, currency: 'usd', paymentReference: held.pspReference });
    // 1.5% of 100 = 1.5 -> 2 (half up)
    expect(lines.find((l) => l.pspReference === small.pspReference)).toMatchObject({ type: 'charge', amountMinor: 100, feeMinor: 2, netMinor: 98 });
    expect(lines.find((l) => l.pspReference === refund.pspReference)).toMatchObject({
      type: 'refund',
      amountMinor: -2_000,
      feeMinor: 0,
      netMinor: -2_000,
      paymentReference: held.pspReference,
    });
    expect(sum(lines, 'amountMinor')).toBe(6_001 + 100 - 2_000);
    expect(sum(lines, 'netMinor')).toBe(5_911 + 98 - 2_000);
    const nextDays = [nextUtcMidnight(from).getTime(), nextUtcMidnight(to).getTime()]; // the run may cross midnight
    for (const line of lines) expect(nextDays).toContain(line.availableOn.getTime());
    // The authorization never captured books nothing.
    expect(lines.some((l) => l.paymentReference === open.pspReference)).toBe(false);

    // A window before the payments holds none of them.
    const before = await adapter.settlementReport!({ from: new Date(from.getTime() - 3_600_000), to: from });
    expect(before.filter((l) => ours.has(l.paymentReference ?? ''))).toEqual([]);
  });

  it('needs the acquirer key and a valid window', async () => {
    const url = (q: string) => `${sandbox.url}/api/sandbox/card/v1/settlements${q}`;
    const auth = { authorization: `Bearer ${env().SANDBOX_ACQUIRER_KEY}` };
    const now = new Date();
    const day = 86_400_000;
    const iso = (t: number) => new Date(t).toISOString();
    expect((await fetch(url(`?from=${iso(now.getTime() - day)}&to=${iso(now.getTime())}`), { headers: { authorization: `Bearer ${env().SANDBOX_PUBLISHABLE_KEY}` } })).status).toBe(401);
    const missing = await fetch(url(`?to=${iso(now.getTime())}`), { headers: auth });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'parameter_missing', param: 'from' } });
    expect((await fetch(url(`?from=${iso(now.getTime())}&to=${iso(now.getTime() - day)}`), { headers: auth })).status).toBe(400);
    expect((await fetch(url(`?from=${iso(now.getTime() - 100 * day)}&to=${iso(now.getTime())}`), { headers: auth })).status).toBe(400);
    expect((await fetch(url(`?from=yesterday&to=${iso(now.getTime())}`), { headers: auth })).status).toBe(400);
    const ok = await fetch(url(`?from=${iso(now.getTime() - day)}&to=${iso(now.getTime() + 1_000)}`), { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ object: 'list', has_more: false });
  });
});

describe('Stripe settlement report (balance transactions, the real SDK against the fake)', () => {
  it('maps charges and refunds with Stripe fee, net and available_on, and the payment intent', async () => {
    const adapter = createStripeAdapter({ secretKey: fake.secretKey, apiBase: fake.url, timeoutMs: 10_000 });
    const from = new Date(Math.floor(Date.now() / 1000) * 1000);
    const { held, refund, small } = await payCaptureRefund(adapter, () => Promise.resolve('pm_card_visa'));
    const to = new Date(Date.now() + 1_000);

    const lines = await adapter.settlementReport!({ from, to });
    expect(lines).toHaveLength(3);
    // 2.9% of 6_001 = 174.029 -> 174, + 30
    expect(lines.find((l) => l.type === 'charge' && l.paymentReference === held.pspReference)).toMatchObject({ amountMinor: 6_001, feeMinor: 204, netMinor: 5_797, currency: 'usd' });
    // 2.9% of 100 = 2.9 -> 3, + 30
    expect(lines.find((l) => l.type === 'charge' && l.paymentReference === small.pspReference)).toMatchObject({ amountMinor: 100, feeMinor: 33, netMinor: 67 });
    expect(lines.find((l) => l.type === 'refund')).toMatchObject({ amountMinor: -2_000, feeMinor: 0, netMinor: -2_000, paymentReference: held.pspReference });
    expect(sum(lines, 'amountMinor')).toBe(6_001 + 100 - 2_000);
    expect(sum(lines, 'netMinor')).toBe(5_797 + 67 - 2_000);
    const refundTxn = fake.balanceTransactions.find((bt) => bt.source === refund.pspReference)!;
    expect(lines.find((l) => l.type === 'refund')!.availableOn).toEqual(new Date(refundTxn.available_on * 1000));
    // Oldest first, as booked.
    expect(lines.map((l) => l.type)).toEqual(['charge', 'refund', 'charge']);

    // Stripe's created filter: nothing before the window.
    expect(await adapter.settlementReport!({ from: new Date(from.getTime() - 3_600_000), to: from })).toEqual([]);
  });

  it('pages through every balance transaction in the window and keeps payouts and fees', async () => {
    const adapter = createStripeAdapter({ secretKey: fake.secretKey, apiBase: fake.url, timeoutMs: 10_000 });
    const created = Math.floor(Date.UTC(2026, 0, 10, 12) / 1000);
    const synthetic = (i: number, type: string, amount: number, fee = 0): FakeBalanceTransaction =>
      ({ id: `txn_page_${String(i).padStart(4, '0')}`, object: 'balance_transaction', type, amount, fee, net: amount - fee, currency: 'eur', source: `ch_page_${i}`, created: created + i, available_on: created + 86_400, status: 'available' }) as FakeBalanceTransaction;
    for (let i = 0; i < 230; i++) fake.balanceTransactions.push(synthetic(i, 'charge', 1_000, 45));
    fake.balanceTransactions.push(synthetic(230, 'payout', -100_000));
    fake.balanceTransactions.push(synthetic(231, 'stripe_fee', -500));
    fake.balanceTransactions.push(synthetic(232, 'adjustment', -1));
    fake.balanceTransactions.push(synthetic(5_000, 'charge', 9_999)); // outside the window

    const listCalls = () => fake.requests.filter((r) => r.path === '/v1/balance_transactions').length;
    const callsBefore = listCalls();
    const lines = await adapter.settlementReport!({ from: new Date(created * 1000), to: new Date((created + 3_600) * 1000) });
    expect(listCalls() - callsBefore).toBe(3); // 233 in the window, 100 a page
    expect(lines).toHaveLength(232); // the adjustment is not a settlement line
    expect(lines.filter((l) => l.type === 'charge')).toHaveLength(230);
    expect(lines.at(-2)).toMatchObject({ type: 'payout', amountMinor: -100_000, netMinor: -100_000 });
    expect(lines.at(-1)).toMatchObject({ type: 'fee', amountMinor: -500, netMinor: -500 });
    expect(lines[0]!.pspReference).toBe('txn_page_0000');
    expect(new Set(lines.map((l) => l.pspReference)).size).toBe(232);
  });
});

describe('routing by capabilities', () => {
  it('skips every card PSP that cannot charge the currency, and says why', async () => {
    const { merchant } = await createTestMerchant();
    expect((await routeCardPayment(merchant.id, 'pm_card_visa', 'usd')).order).toContain('sandbox_card');
    const plan = await routeCardPayment(merchant.id, 'pm_card_visa', 'chf');
    expect(plan.order).toEqual([]);
    expect(plan.skipped).toContain('sandbox_card does not support CHF');
  });
});

describe('Stripe balance transactions as the day settlement file', () => {
  it('streams the day page by page: charges by PaymentIntent, refunds by refund id, nothing else', async () => {
    const adapter = createStripeAdapter({ secretKey: fake.secretKey, apiBase: fake.url, timeoutMs: 10_000 });
    const dayStart = Math.floor(Date.UTC(2026, 1, 3) / 1000);
    const txn = (i: number, type: string, amount: number, fee: number, source: unknown, at = dayStart + 60 + i): FakeBalanceTransaction =>
      ({ id: `txn_day_${String(i).padStart(4, '0')}`, object: 'balance_transaction', type, amount, fee, net: amount - fee, currency: 'usd', source, created: at, available_on: dayStart + 2 * 86_400, status: 'pending' }) as FakeBalanceTransaction;
    for (let i = 0; i < 150; i++) fake.balanceTransactions.push(txn(i, 'charge', 2_000, 88, `ch_day_${i}`));
    fake.balanceTransactions.push(txn(150, 'payout', -50_000, 0, 'po_day'));
    fake.balanceTransactions.push(txn(151, 'charge', 999, 59, 'ch_next_day', dayStart + 86_400 + 5)); // the next day

    const file = await adapter.settlementFile!('2026-02-03');
    expect(file.complete).toBe(true);
    const lines = [];
    for await (const line of file.lines) lines.push(line);
    expect(lines).toHaveLength(150);
    expect(lines.every((l) => l.type === 'charge' && l.grossMinor === 2_000 && l.feeMinor === 88 && l.netMinor === 1_912)).toBe(true);
    expect(new Set(lines.map((l) => l.lineId)).size).toBe(150);
    expect(lines.every((l) => l.bookedAt.getTime() >= dayStart * 1000 && l.bookedAt.getTime() < (dayStart + 86_400) * 1000)).toBe(true);
  });
});
