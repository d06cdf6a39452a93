import { execFile } from 'node:child_process';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, payoutItems, payouts, payoutSettings } from '@/db/schema';
import { newId } from '@/lib/ids';
import { captureEventOf, ensureCapturePosted, recordRefund } from '@/lib/ledger';
import { listAudit } from '@/lib/audit';
import {
  createPayout,
  getPayoutSettings,
  payOutNow,
  payoutReport,
  payoutReportCsv,
  periodKeyFor,
  requestManualPayout,
  runScheduledPayouts,
  updatePayoutSettings,
} from '@/lib/payouts';
import { reconcile } from '@/lib/reconciliation';
import { getBalances, setOverdraftLimit } from '@/lib/wallet';
import { createPaidPayment } from '../helpers/factories';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

// Each test uses its own payout periods, far apart, so one test's scheduled run does not meet
// another's. Money reaches the available balance only the real way: a card payment through the
// sandbox network, then reconciliation of the network's settlement file once its lines are due.
const at = (iso: string) => new Date(`${iso}T01:00:00.000Z`);
const today = () => new Date().toISOString().slice(0, 10);
const tomorrowNoon = () => new Date(Date.parse(`${today()}T12:00:00Z`) + 86_400_000);

type Merchant = Awaited<ReturnType<typeof createTestMerchant>>;

/** A customer's card payment, its capture booked in the ledger as the capture consumer books it. */
async function capture(m: Merchant, amountMinor: number): Promise<string> {
  const pi = await createPaidPayment(apiClient(app, m.secretKey), { amount: amountMinor, currency: 'usd' });
  await ensureCapturePosted(getDb(), await captureEventOf(getDb(), pi.id));
  return pi.id;
}

/** The network settles what it reported: today's file reconciled once its lines are available. */
async function settleReported(): Promise<void> {
  await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
}

async function available(merchantId: string): Promise<number> {
  return (await getBalances(merchantId)).find((b) => b.currency === 'usd')?.availableMinor ?? 0;
}

async function payoutsOf(merchantId: string) {
  return getDb().select().from(payouts).where(eq(payouts.merchantId, merchantId)).orderBy(payouts.createdAt);
}

async function eventsOf(payoutId: string) {
  return getDb().select({ type: outboxEvents.type, data: outboxEvents.data }).from(outboxEvents).where(eq(outboxEvents.aggregateId, payoutId));
}

async function platformBalance(accountId: string): Promise<number> {
  const [row] = await getDb().execute<{ b: string }>(sql`select coalesce(sum(balance_minor), 0)::text as b from ledger_balances where account_id = ${accountId}`);
  return Number(row?.b ?? 0);
}

describe('scheduled payouts', () => {
  it('pays the whole available balance once per day: ledger available -> payout clearing -> bank, events once', async () => {
    const m = await createTestMerchant('Daily Payouts');
    const pi = await capture(m, 10_000);
    await settleReported();
    const before = await available(m.merchant.id);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(10_000); // the fee stayed with us
    const clearingBefore = await platformBalance('acct_payout_clearing.platform.usd');

    const first = await runScheduledPayouts(at('2031-01-06'));
    const mine = first.created.filter((c) => c.merchantId === m.merchant.id);
    expect(mine).toEqual([{ payoutId: expect.stringMatching(/^po_/), merchantId: m.merchant.id, currency: 'usd', amountMinor: before }]);
    expect(first.paid).toContain(mine[0]!.payoutId);
    expect(await available(m.merchant.id)).toBe(0);
    // in transit then paid: nothing is left owing in payout clearing for it
    expect(await platformBalance('acct_payout_clearing.platform.usd')).toBe(clearingBefore);

    const again = await runScheduledPayouts(new Date('2031-01-06T23:59:00.000Z'));
    expect(again.created.filter((c) => c.merchantId === m.merchant.id)).toEqual([]);
    const [payout, ...more] = await payoutsOf(m.merchant.id);
    expect(more).toEqual([]);
    expect(payout).toMatchObject({ amountMinor: before, status: 'paid', periodKey: 'daily:2031-01-06', bankAccountLast4: '6789' });
    const events = await eventsOf(payout!.id);
    expect(events.map((e) => e.type).sort()).toEqual(['payout.created', 'payout.paid']);
    // each event carries the payout as it was then, for the merchant's webhook
    expect(events.find((e) => e.type === 'payout.created')?.data).toMatchObject({ object: { id: payout!.id, object: 'payout', amount: before, status: 'in_transit' } });
    expect(events.find((e) => e.type === 'payout.paid')?.data).toMatchObject({ object: { id: payout!.id, status: 'paid' } });

    const report = await payoutReport(payout!);
    expect(report).toEqual([
      expect.objectContaining({ category: 'charge', paymentIntentId: pi, grossMinor: 10_000, feeMinor: 10_000 - before, netMinor: before }),
    ]);
    await assertLedgerInvariants();
  });

  it('the next period pays only what became available since, and each balance transaction is in one payout', async () => {
    const m = await createTestMerchant('Two Days');
    await capture(m, 5_000);
    await settleReported();
    const one = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: periodKeyFor('daily', at('2031-02-02')) });
    expect(one.created).toBe(true);
    const pi2 = await capture(m, 3_000);
    const pi3 = await capture(m, 2_000);
    await settleReported();
    const refund = newId('refund');
    // a refund taken from the available balance is part of the next payout, with a negative net
    await recordRefund(getDb(), { eventId: newId('event'), refundId: refund, merchantId: m.merchant.id, paymentIntentId: pi2, currency: 'usd', amountMinor: 500 });
    const expected = await available(m.merchant.id);
    const two = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: periodKeyFor('daily', at('2031-02-03')) });
    expect(two.created && two.payout.amountMinor).toBe(expected);
    const items = await getDb().select().from(payoutItems).where(eq(payoutItems.payoutId, two.payout!.id));
    const firstItems = await getDb().select().from(payoutItems).where(eq(payoutItems.payoutId, one.payout!.id));
    expect(items.map((i) => i.journalTransactionId)).not.toContain(firstItems[0]!.journalTransactionId);

    const report = await payoutReport(two.payout!);
    // one settlement released both payments: a charge line each (in line order), then the refund
    expect(report.slice(0, 2).map((l) => [l.category, l.paymentIntentId]).sort()).toEqual([['charge', pi2], ['charge', pi3]].sort());
    expect(report.slice(2).map((l) => [l.category, l.paymentIntentId, l.refundId])).toEqual([['refund', pi2, refund]]);
    expect(report.reduce((s, l) => s + l.netMinor, 0)).toBe(two.payout!.amountMinor);
    const csv = payoutReportCsv(two.payout!, report).split('\r\n');
    expect(csv[0]).toBe('balance_transaction_id,created_utc,reporting_category,currency,gross,fee,net,payment_intent_id,refund_id,payout_id');
    expect(csv[3]).toMatch(new RegExp(`^jtx_\\w+,[^,]+,refund,usd,-500,0,-500,${pi2},${refund},${two.payout!.id}$`));
    await assertLedgerInvariants();
  });

  it('never pays out more than is available: pending money stays, a negative balance pays nothing until covered', async () => {
    const m = await createTestMerchant('Never More');
    const pi = await capture(m, 4_000);
    await settleReported();
    await capture(m, 9_999); // pending, not available: not paid out
    const availableBefore = await available(m.merchant.id);
    const one = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: 'daily:2031-03-02' });
    expect(one.created && one.payout.amountMinor).toBe(availableBefore);
    expect((await getBalances(m.merchant.id))[0]?.pendingMinor).toBeGreaterThan(9_000);

    // the pending money is paid out once it is available
    await settleReported();
    const drained = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: 'daily:2031-03-03' });
    expect(drained.created && drained.payout.amountMinor).toBeGreaterThan(9_000);
    expect(await getBalances(m.merchant.id)).toEqual([{ currency: 'usd', availableMinor: 0, pendingMinor: 0 }]);

    // with an overdraft, a refund takes the available balance below zero: no payout
    await setOverdraftLimit(getDb(), m.merchant.id, 'usd', 10_000);
    await recordRefund(getDb(), { eventId: newId('event'), refundId: newId('refund'), merchantId: m.merchant.id, paymentIntentId: pi, currency: 'usd', amountMinor: 1_000 });
    expect(await available(m.merchant.id)).toBe(-1_000);
    expect(await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: 'daily:2031-03-04' })).toEqual({
      created: false,
      payout: null,
      reason: 'nothing_available',
    });
    expect((await runScheduledPayouts(at('2031-03-04'))).created.filter((c) => c.merchantId === m.merchant.id)).toEqual([]);
    await capture(m, 3_000);
    // the next settlement covers it: the payout nets the refund against the new money
    await settleReported();
    const net = await available(m.merchant.id);
    expect(net).toBeGreaterThan(0);
    expect(net).toBeLessThan(2_000);
    const two = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: 'daily:2031-03-05' });
    expect(two.created && two.payout.amountMinor).toBe(net);
    expect(await available(m.merchant.id)).toBe(0);
    await assertLedgerInvariants();
  });

  it('concurrent runs pay once: the same period, and different periods racing for the same money', async () => {
    const m = await createTestMerchant('Racing Runs');
    await capture(m, 20_000);
    await settleReported();
    const total = await available(m.merchant.id);
    const runs = await Promise.all([
      ...Array.from({ length: 6 }, () => createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: 'daily:2031-04-02' })),
      ...Array.from({ length: 3 }, (_, i) => createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: `manual:race-${i}-abcdefgh` })),
      runScheduledPayouts(at('2031-04-02')),
    ]);
    const created = (await payoutsOf(m.merchant.id)).filter((p) => p.amountMinor > 0);
    expect(created).toHaveLength(1);
    expect(created[0]!.amountMinor).toBe(total);
    // exactly one of the ten calls says it created the payout
    const creations = runs.reduce((n, r) => n + ('paid' in r ? r.created.filter((c) => c.merchantId === m.merchant.id).length : r.created ? 1 : 0), 0);
    expect(creations).toBe(1);
    expect(await available(m.merchant.id)).toBe(0);
    await assertLedgerInvariants();
  });

  it('weekly merchants are paid once a week, manual merchants only when they ask (idempotent per request)', async () => {
    const weekly = await createTestMerchant('Weekly');
    const manual = await createTestMerchant('Manual');
    await getDb().insert(payoutSettings).values([
      { merchantId: weekly.merchant.id, interval: 'weekly' },
      { merchantId: manual.merchant.id, interval: 'manual', bankAccountLast4: '4321' },
    ]);
    await capture(weekly, 1_000);
    await capture(manual, 1_000);
    await settleReported();
    // 2031-05-06 is a Tuesday: the week of Monday 2031-05-05
    expect(periodKeyFor('weekly', at('2031-05-06'))).toBe('weekly:2031-05-05');
    expect(periodKeyFor('weekly', at('2031-05-11'))).toBe('weekly:2031-05-05');
    expect(periodKeyFor('weekly', at('2031-05-12'))).toBe('weekly:2031-05-12');
    await runScheduledPayouts(at('2031-05-06'));
    await capture(weekly, 2_000);
    await settleReported();
    await runScheduledPayouts(at('2031-05-08'));
    expect((await payoutsOf(weekly.merchant.id)).map((p) => p.periodKey)).toEqual(['weekly:2031-05-05']);
    await runScheduledPayouts(at('2031-05-12'));
    expect((await payoutsOf(weekly.merchant.id)).map((p) => p.periodKey)).toEqual(['weekly:2031-05-05', 'weekly:2031-05-12']);

    expect(await payoutsOf(manual.merchant.id)).toEqual([]);
    const asked = await requestManualPayout(manual.merchant.id, 'usd', 'click-0001');
    const twice = await requestManualPayout(manual.merchant.id, 'usd', 'click-0001');
    expect(twice.payout?.id).toBe(asked.payout?.id);
    expect(asked.payout?.bankAccountLast4).toBe('4321');
    await expect(requestManualPayout(manual.merchant.id, 'usd', 'click-0002')).rejects.toMatchObject({ code: 'insufficient_balance' });
    await expect(requestManualPayout(manual.merchant.id, 'usd', 'x')).rejects.toMatchObject({ code: 'parameter_invalid' });
    await assertLedgerInvariants();
  });
});

describe('payouts API (Stripe-shaped)', () => {
  it('lists and retrieves payouts, and balance_transactions?payout= lists what the payout contains', async () => {
    const m = await createTestMerchant('Payout API');
    const other = await createTestMerchant('Other Merchant');
    const pi = await capture(m, 7_000);
    await settleReported();
    const outcome = await createPayout({ merchantId: m.merchant.id, currency: 'usd', periodKey: 'daily:2031-06-02' });
    const payout = outcome.payout!;
    const api = apiClient(app, m.secretKey);

    const list = await api.get('/api/v1/payouts?limit=10');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ object: 'list', has_more: false, data: [{ id: payout.id, object: 'payout', amount: payout.amountMinor, currency: 'usd', status: 'in_transit', automatic: true, balance_transaction: payout.journalTransactionId }] });
    expect((await api.get('/api/v1/payouts?status=paid')).body.data).toEqual([]);
    const one = await api.get(`/api/v1/payouts/${payout.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.data[0]);

    const txns = await api.get(`/api/v1/balance_transactions?payout=${payout.id}&limit=100`);
    expect(txns.status).toBe(200);
    // Stripe's types (a settlement is an adjustment); paykit_kind says which of our postings each is
    expect((txns.body.data as { type: string }[]).map((t) => t.type).sort()).toEqual(['adjustment', 'payout']);
    const kinds = (txns.body.data as { paykit_kind: string }[]).map((t) => t.paykit_kind).sort();
    expect(kinds).toEqual(['payout', 'recon_settlement']);
    expect((txns.body.data as { type: string; net: number }[]).find((t) => t.type === 'payout')?.net).toBe(-payout.amountMinor);
    const all = await api.get('/api/v1/balance_transactions?limit=100');
    // a capture's source is its charge, as Stripe's is
    const charge = (await api.get(`/api/v1/payment_intents/${pi}`)).body.latest_charge;
    expect(charge).toMatch(/^ch_/);
    expect((all.body.data as { source: string | null }[]).some((t) => t.source === charge)).toBe(true);

    const stranger = apiClient(app, other.secretKey);
    expect((await stranger.get(`/api/v1/payouts/${payout.id}`)).status).toBe(404);
    expect((await stranger.get(`/api/v1/balance_transactions?payout=${payout.id}`)).status).toBe(404);
    expect((await stranger.get('/api/v1/payouts')).body.data).toEqual([]);
    const bad = await api.get('/api/v1/balance_transactions?payout=pi_123');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'invalid_request_error', param: 'payout' });
    expect((await api.get('/api/v1/payouts?status=lost')).status).toBe(400);
  });
});

describe('dashboard payout settings and manual payouts', () => {
  const actorOf = (m: Awaited<ReturnType<typeof createTestMerchant>>, role: 'owner' | 'developer' | 'viewer' = 'owner') => ({
    user: { id: m.userId, email: m.email, role, merchantId: m.merchant.id },
    ip: '203.0.113.9',
  });

  it('only the owner changes the schedule; bad input is refused and changes nothing; changes are audited', async () => {
    const m = await createTestMerchant('Settings Owner');
    await expect(updatePayoutSettings(actorOf(m, 'developer'), { interval: 'weekly', bankAccountHolder: '', bankAccountLast4: '' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(updatePayoutSettings(actorOf(m), { interval: 'weekly', bankAccountHolder: '', bankAccountLast4: '12a4' })).rejects.toMatchObject({ code: 'parameter_invalid', param: 'bankAccountLast4' });
    await expect(updatePayoutSettings(actorOf(m), { interval: 'hourly' as 'daily', bankAccountHolder: '', bankAccountLast4: '' })).rejects.toMatchObject({ param: 'interval' });
    expect(await getPayoutSettings(m.merchant.id)).toEqual({ interval: 'daily', bankAccountHolder: null, bankAccountLast4: null });
    await updatePayoutSettings(actorOf(m), { interval: 'manual', bankAccountHolder: ' Jane Doe ', bankAccountLast4: '1234' });
    expect(await getPayoutSettings(m.merchant.id)).toEqual({ interval: 'manual', bankAccountHolder: 'Jane Doe', bankAccountLast4: '1234' });
    expect((await listAudit(m.merchant.id)).rows.map((r) => r.action)).toContain('payouts.settings_update');
  });

  it('"pay out now" works on the manual schedule only, for the owner, once per request key', async () => {
    const m = await createTestMerchant('Pay Now');
    await capture(m, 2_500);
    await settleReported();
    const request = { currency: 'usd', requestKey: 'form-render-0001' };
    await expect(payOutNow(actorOf(m), request)).rejects.toMatchObject({ code: 'parameter_invalid', param: 'interval' });
    await updatePayoutSettings(actorOf(m), { interval: 'manual', bankAccountHolder: '', bankAccountLast4: '' });
    await expect(payOutNow(actorOf(m, 'viewer'), request)).rejects.toMatchObject({ code: 'forbidden' });
    const amount = await available(m.merchant.id);
    const [a, b] = await Promise.all([payOutNow(actorOf(m), request), payOutNow(actorOf(m), request)]);
    expect(a.id).toBe(b.id);
    expect(a.amountMinor).toBe(amount);
    expect(await payoutsOf(m.merchant.id)).toHaveLength(1);
    await expect(payOutNow(actorOf(m), { currency: 'xyz', requestKey: 'form-render-0002' })).rejects.toMatchObject({ code: 'currency_unsupported' });
    await assertLedgerInvariants();
  });
});

describe('npm run admin -- payouts run', () => {
  it('runs the schedule now and prints the run as JSON; a second run creates nothing', async () => {
    const m = await createTestMerchant('CLI Payouts');
    await capture(m, 3_300);
    await settleReported();
    const amount = await available(m.merchant.id);
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(path.resolve('node_modules/.bin/tsx'), ['scripts/admin.ts', ...args], { env: { ...process.env } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const first = await run(['payouts', 'run', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const json = JSON.parse(first.stdout) as { created: { payout_id: string; merchant_id: string; amount: number }[]; paid: string[] };
    const mine = json.created.filter((c) => c.merchant_id === m.merchant.id);
    expect(mine).toEqual([expect.objectContaining({ amount, currency: 'usd' })]);
    expect(json.paid).toContain(mine[0]!.payout_id);
    const second = JSON.parse((await run(['payouts', 'run', '--json'])).stdout) as { created: { merchant_id: string }[] };
    expect(second.created.filter((c) => c.merchant_id === m.merchant.id)).toEqual([]);
    expect((await run(['payouts', 'go'])).code).toBe(2);
  }, 120_000);
});
