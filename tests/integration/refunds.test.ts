import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { journalTransactions, outboxEvents, refunds, sandboxCardRefunds } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { defineLedgerPostCapture } from '@/inngest/functions/ledger-post-capture';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { ensureCapturePosted } from '@/lib/ledger';
import { setOverdraftLimit } from '@/lib/wallet';
import { assertPaymentInvariants } from '../helpers/invariants';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { createPaidPayment } from '@/tests/helpers/factories';

let app: TestApp;
let harness: Harness | undefined;

beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(() => app.close());

async function merchantWithPayment(amount = 10_000, pm = 'pm_card_visa', currency = 'usd') {
  const m = await createTestMerchant();
  const api = apiClient(app, m.secretKey);
  const pi = await createPaidPayment(api, { amount, currency }, pm);
  return { m, api, pi };
}

const balanceOf = async (api: ReturnType<typeof apiClient>, currency = 'usd') => {
  const b = (await api.get('/api/v1/balance')).body;
  return {
    available: b.available.find((x: { currency: string }) => x.currency === currency)?.amount ?? 0,
    pending: b.pending.find((x: { currency: string }) => x.currency === currency)?.amount ?? 0,
  };
};

describe('POST /api/v1/refunds', () => {
  it('refunds part of a payment at the PSP, books it, and shows it on the payment and the balance', async () => {
    const { api, pi } = await merchantWithPayment();
    const res = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 4_000, reason: 'requested_by_customer' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'refund',
      amount: 4_000,
      currency: 'usd',
      status: 'succeeded',
      payment_intent: pi.id,
    });
    expect(res.body.id).toMatch(/^re_/);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(4_000);
    // capture 10,000 - fee (2.9% + 30 = 320) - refund 4,000, all still pending (not paid out yet)
    expect(await balanceOf(api)).toEqual({ available: 0, pending: 5_680 });
    const atPsp = await getDb()
      .select()
      .from(sandboxCardRefunds)
      .where(eq(sandboxCardRefunds.idempotencyKey, `${res.body.id}:refund`));
    expect(atPsp).toHaveLength(1);
    expect((await api.get(`/api/v1/refunds/${res.body.id}`)).body).toEqual(res.body);
    expect((await api.get(`/api/v1/refunds?payment_intent=${pi.id}`)).body.data).toHaveLength(1);
    await assertLedgerInvariants();
    await assertPaymentInvariants(pi.id);
  });

  it('of 20 concurrent refunds of 60% of one payment, at most one succeeds', async () => {
    const { api, pi } = await merchantWithPayment();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 6_000 })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.body.error.code).toBe('amount_too_large');
    expect(await getDb().select().from(refunds).where(eq(refunds.paymentIntentId, pi.id))).toHaveLength(1);
    await assertLedgerInvariants();
  });

  it('refuses what the balance cannot cover (the fee is not refunded) as Stripe does, unless an overdraft allows it', async () => {
    const { m, api, pi } = await merchantWithPayment(1_000);
    const refused = await api.post('/api/v1/refunds', { payment_intent: pi.id });
    // Stripe's balance_insufficient: an invalid request (400), not a card error
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'balance_insufficient', param: 'amount' });
    expect(await getDb().select().from(refunds).where(eq(refunds.paymentIntentId, pi.id))).toHaveLength(0);
    await setOverdraftLimit(getDb(), m.merchant.id, 'usd', 10_000);
    const ok = await api.post('/api/v1/refunds', { payment_intent: pi.id });
    expect(ok.body).toMatchObject({ status: 'succeeded', amount: 1_000 });
    const again = await api.post('/api/v1/refunds', { payment_intent: pi.id });
    expect(again.body.error.code).toBe('amount_too_large');
    await assertLedgerInvariants();
  });

  it.each([
    [{ amount: 0 }, 'amount_too_small'],
    [{ amount: 10_001 }, 'amount_too_large'],
    [{ amount: 1.5 }, 'parameter_invalid'],
    [{ charge: 'ch_1' }, 'parameter_invalid'],
    [{ source: 'x' }, 'parameter_unknown'],
  ])('rejects %j', async (patch, code) => {
    const { api, pi } = await merchantWithPayment();
    const res = await api.post('/api/v1/refunds', { payment_intent: pi.id, ...patch });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('refuses a payment that was not captured, and hides other merchants’ payments', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    const pi = (await api.post('/api/v1/payment_intents', { amount: 500, currency: 'usd' })).body;
    expect((await api.post('/api/v1/refunds', { payment_intent: pi.id })).body.error.code).toBe(
      'payment_intent_unexpected_state',
    );
    const other = apiClient(app, (await createTestMerchant()).secretKey);
    expect((await other.post('/api/v1/refunds', { payment_intent: pi.id })).status).toBe(404);
  });

  it('a replayed refund request refunds once', async () => {
    const { api, pi } = await merchantWithPayment();
    const first = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 1_000 }, { idempotencyKey: 'refund-once' });
    const second = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 1_000 }, { idempotencyKey: 'refund-once' });
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await getDb().select().from(refunds).where(eq(refunds.paymentIntentId, pi.id))).toHaveLength(1);
  });
});

describe('ledger consumers through the engine', () => {
  it('capture and refund outcomes are booked by the consumers exactly once; a failed refund gives the money back', async () => {
    harness = await startHarness((client) => defineFunctions(client));
    const relay = () => relayOutboxBatch((events: RelayedEvent[]) => harness!.client.send(events).then(() => undefined));
    const { api, pi } = await merchantWithPayment(10_000, 'pm_card_refundFail');
    await relay();
    await harness.waitFor(async () => ((await balanceOf(api)).pending === 9_680 ? true : undefined));
    const refund = await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 3_000 });
    expect(refund.body).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('expired_or_canceled_card') });
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(0);
    await relay();
    await harness.waitFor(async () => ((await balanceOf(api)).pending === 9_680 ? true : undefined), 15_000);
    // relay again (a duplicate delivery): nothing changes
    await relay();
    await harness.engine.drain();
    expect(await balanceOf(api)).toEqual({ available: 0, pending: 9_680 });
    const lines = (await api.get('/api/v1/balance_transactions')).body.data;
    expect(lines.map((l: { paykit_kind: string }) => l.paykit_kind)).toEqual(['refund_failed', 'refund', 'capture']);
    expect(lines.map((l: { type: string }) => l.type)).toEqual(['refund_failure', 'refund', 'charge']);
    expect(lines[2]).toMatchObject({
      amount: 10_000,
      fee: 320,
      net: 9_680,
      running_balance: 9_680,
      source: (await api.get(`/api/v1/payment_intents/${pi.id}`)).body.latest_charge,
      status: 'pending',
      available_on: null,
      reporting_category: 'charge',
    });
    expect(lines[0].running_balance).toBe(9_680);
    await assertLedgerInvariants();
  });
});

describe('the capture before a refund (ensureCapturePosted)', () => {
  it('a refund ahead of the capture consumer books the capture from the succeeded event; the consumer then finds it booked', async () => {
    harness = await startHarness((client) => [defineLedgerPostCapture(client)]);
    const { api, pi } = await merchantWithPayment(10_000);
    // the refund comes first: nothing relayed yet, so the consumer has not run
    expect((await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 1_000 })).body.status).toBe('succeeded');
    const [succeeded] = await getDb()
      .select({ id: outboxEvents.id })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.succeeded')));
    const booked = await getDb().select().from(journalTransactions).where(and(eq(journalTransactions.paymentIntentId, pi.id), eq(journalTransactions.kind, 'capture')));
    expect(booked).toHaveLength(1);
    expect(booked[0]!.eventId).toBe(succeeded!.id);
    // now the consumer gets the event (twice: a redelivery): same posting, nothing new
    await relayOutboxBatch((events: RelayedEvent[]) => harness!.client.send([...events, ...events]).then(() => undefined));
    await harness.engine.drain();
    expect((await ensureCapturePosted(getDb(), succeeded!.id)).created).toBe(false);
    const after = await getDb().select().from(journalTransactions).where(and(eq(journalTransactions.paymentIntentId, pi.id), eq(journalTransactions.kind, 'capture')));
    expect(after.map((t) => t.id)).toEqual([booked[0]!.id]);
    expect(await balanceOf(api)).toEqual({ available: 0, pending: 9_680 - 1_000 });
    await assertLedgerInvariants();
  });

  it('refuses to book an event that is not a payment success', async () => {
    const { pi } = await merchantWithPayment(1_000);
    const [created] = await getDb()
      .select({ id: outboxEvents.id })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.created')));
    await expect(ensureCapturePosted(getDb(), created!.id)).rejects.toThrow(/not a payment_intent.succeeded event/);
    await expect(ensureCapturePosted(getDb(), 'evt_doesnotexist')).rejects.toThrow(/not a payment_intent.succeeded event/);
  });
});

// M-Pesa refunds (Reversal / B2C through the offline Daraja) are specified in mpesa-refunds.test.ts.
