import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaC2bPayments, mpesaRefunds, outboxEvents, paymentAttempts } from '@/db/schema';
import {
  PAYBILL_CLAIM_LEASE_MS,
  paybillForSession,
  paybillReturnKey,
  reconcilePaybillByPull,
  retryPaybillReceipts,
} from '@/lib/checkout/paybill';
import { beginAttempt } from '@/lib/payments/begin-attempt';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { assertPaymentInvariants } from '../helpers/invariants';
import { freshPhone, kesSession, mpesaMerchant, phoneState, startMpesaWorld, type MpesaWorld } from '../helpers/mpesa-flow';

/**
 * Paybill receipts that cannot pay their session are given back (Reversal, once), and a receipt
 * whose applier crashed after claiming it is taken over after the lease, never applied twice.
 * Against the offline Daraja over HTTP; the session state that makes a receipt unappliable is
 * reached through the API (the intent canceled while the customer was paying).
 */

let world: MpesaWorld;

beforeAll(async () => {
  world = await startMpesaWorld({ MPESA_SANDBOX_RESULT_DELAY_MS: '50', DARAJA_RESULT_WAIT_MS: '200' });
});
afterEach(() => setMpesaFaults(null));
afterAll(() => world.close());

type Api = Awaited<ReturnType<typeof mpesaMerchant>>['api'];

async function paybillSession(api: Api, amount: number) {
  const cs = await kesSession(api, amount);
  const instructions = await paybillForSession(cs.id);
  return { ...cs, accountNumber: instructions!.accountNumber };
}

const payOnPhone = (msisdn: string, accountNumber: string, shillings: number) =>
  world.daraja.payBill(msisdn, { businessNumber: world.daraja.shortcode, accountNumber, amount: shillings, pin: '1234' });

const utility = async () => Number((await world.daraja.portal()).balances.utility);
const c2bRow = async (transId: string) =>
  (await getDb().select().from(mpesaC2bPayments).where(eq(mpesaC2bPayments.transId, transId)))[0];

/** A receipt Daraja took while the session was payable, whose confirmation is lost (only Pull Transactions shows it). */
async function paidWithLostConfirmation(api: Api, amount: number) {
  const cs = await paybillSession(api, amount);
  setMpesaFaults({ loseC2bConfirmation: true });
  const phone = freshPhone();
  const answer = await payOnPhone(phone, cs.accountNumber, amount / 100);
  expect(answer, JSON.stringify(answer)).toMatchObject({ ResultCode: 0 });
  setMpesaFaults(null);
  return { cs, phone, transId: answer.TransID as string };
}

describe('Paybill receipts that cannot be applied', () => {
  it('a receipt for a session canceled meanwhile is reversed once, its receipt recorded, the merchant told; nothing booked', async () => {
    const { api, merchantId } = await mpesaMerchant(world.app);
    const before = await utility();
    const { cs, phone, transId } = await paidWithLostConfirmation(api, 40_000);
    expect(await utility()).toBe(before + 400);
    expect(
      (await api.post(`/api/v1/payment_intents/${cs.payment_intent}/cancel`, {}, { idempotencyKey: randomUUID() })).status,
    ).toBe(200);

    expect(await reconcilePaybillByPull()).toMatchObject({ unmatched: 1, applied: 0 });
    // the Result, then the Transaction Status answer, arrive by callback; the cron asks again when late
    const returned = await world.settle(async () => {
      await retryPaybillReceipts();
      const row = await c2bRow(transId);
      return row?.status === 'returned' ? row : undefined;
    });
    expect(returned).toMatchObject({
      status: 'returned',
      msisdn: phone,
      amountMinor: 40_000,
      attemptId: null,
      returnReceipt: expect.stringMatching(/^[A-Z0-9]{10}$/),
    });
    expect(returned.returnReceipt).not.toBe(transId);
    // the money is back with the payer: the shortcode's balance as before the payment, and the SMS says so
    expect(await utility()).toBe(before);
    const sms = (await world.daraja.phone(phone)).messages.map((m) => m.body);
    expect(sms.some((b) => b.startsWith(`${returned.returnReceipt} Confirmed. Transaction ${transId} has been reversed.`))).toBe(
      true,
    );
    const [reversal] = await getDb()
      .select()
      .from(mpesaRefunds)
      .where(eq(mpesaRefunds.refundKey, paybillReturnKey(transId)));
    expect(reversal).toMatchObject({
      kind: 'reversal',
      originalReceipt: transId,
      outcome: 'succeeded',
      receiptNumber: returned.returnReceipt,
    });

    // the merchant's webhook event, on the payment's timeline (aggregate = the intent)
    const events = await getDb()
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.merchantId, merchantId), eq(outboxEvents.type, 'payment_intent.paybill_payment_returned')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ aggregateId: cs.payment_intent });
    expect(events[0]!.data).toMatchObject({
      object: { id: transId, amount: 40_000, currency: 'kes', status: 'returned', reversal_receipt: returned.returnReceipt },
    });

    // running everything again reverses nothing more and tells nobody twice
    await reconcilePaybillByPull();
    await retryPaybillReceipts();
    await new Promise((r) => setTimeout(r, 300));
    expect(await utility()).toBe(before);
    expect(
      await getDb().select().from(outboxEvents).where(eq(outboxEvents.type, 'payment_intent.paybill_payment_returned')),
    ).toHaveLength(1);
    // no attempt was made for it: the ledger never saw the money
    const attempts = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    expect(attempts).toHaveLength(0);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a receipt for a session already paid (a second payment to the same account) goes back; the first stays applied', async () => {
    const { api } = await mpesaMerchant(world.app);
    const before = await utility();
    const first = await paidWithLostConfirmation(api, 25_000);
    // the same customer pays again before anything was applied (both accepted by validation)
    setMpesaFaults({ loseC2bConfirmation: true });
    const again = await payOnPhone(first.phone, first.cs.accountNumber, 250);
    setMpesaFaults(null);
    expect(again).toMatchObject({ ResultCode: 0 });
    expect(await reconcilePaybillByPull()).toMatchObject({ applied: 1, unmatched: 1 });
    const rows = await Promise.all([c2bRow(first.transId), c2bRow(again.TransID)]);
    const applied = rows.filter((r) => r?.status === 'applied');
    expect(applied).toHaveLength(1);
    const other = rows.find((r) => r?.status !== 'applied')!;
    await world.settle(async () => {
      await retryPaybillReceipts();
      return (await c2bRow(other.transId))?.status === 'returned';
    });
    expect((await api.get(`/api/v1/payment_intents/${first.cs.payment_intent}`)).body).toMatchObject({
      status: 'succeeded',
      amount_received: 25_000,
    });
    // paid once, kept once
    expect(await utility()).toBe(before + 250);
    await assertPaymentInvariants(first.cs.payment_intent);
  });
});

async function respond(msisdn: string, checkoutRequestId: string, body: { action: 'cancel' } | { action: 'pin'; pin: string }) {
  const res = await fetch(`${world.app.url}/api/sandbox/mpesa/phone/${msisdn}/respond`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, checkoutRequestId }),
  });
  return (await res.json()) as { ResultCode: number };
}

/** An STK push the customer started on the pay page after paying by Paybill: open on their phone. */
async function openPush(sessionId: string, phone: string) {
  const res = await fetch(`${world.app.url}/api/pay/${sessionId}/mpesa`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ phone }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return world.settle(async () => (await phoneState(world.app, phone)).prompt);
}

describe('a receipt that meets an STK push in flight', () => {
  it('waits; the push is cancelled on the phone, so the receipt pays the session', async () => {
    const { api } = await mpesaMerchant(world.app);
    const { cs, transId } = await paidWithLostConfirmation(api, 21_000);
    const pushPhone = freshPhone();
    const prompt = await openPush(cs.id, pushPhone);
    expect(await reconcilePaybillByPull()).toMatchObject({ waiting: 1, applied: 0, unmatched: 0 });
    expect((await c2bRow(transId))?.status).toBe('waiting');
    expect((await respond(pushPhone, prompt.checkoutRequestId, { action: 'cancel' })).ResultCode).toBe(1032);
    await world.settle(
      async () => (await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status === 'requires_payment_method',
    );
    expect(await retryPaybillReceipts()).toMatchObject({ retried: 1 });
    expect((await c2bRow(transId))?.status).toBe('applied');
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body).toMatchObject({
      status: 'succeeded',
      amount_received: 21_000,
    });
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('waits; the push succeeds, so the receipt is given back and the customer pays once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const before = await utility();
    const { cs, transId } = await paidWithLostConfirmation(api, 22_000);
    const pushPhone = freshPhone();
    const prompt = await openPush(cs.id, pushPhone);
    expect(await reconcilePaybillByPull()).toMatchObject({ waiting: 1 });
    expect((await respond(pushPhone, prompt.checkoutRequestId, { action: 'pin', pin: '1234' })).ResultCode).toBe(0);
    await world.settle(async () => (await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status === 'succeeded');
    await world.settle(async () => {
      await retryPaybillReceipts();
      return (await c2bRow(transId))?.status === 'returned';
    });
    // the push's 220 stays, the Paybill 220 went back
    expect(await utility()).toBe(before + 220);
    await assertPaymentInvariants(cs.payment_intent);
  });
});

describe('a crash after a receipt is claimed', () => {
  it('a claim younger than the lease is left alone; an older one is taken over and the receipt applied once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const { cs, phone, transId } = await paidWithLostConfirmation(api, 35_000);
    // what a crashed applier leaves: the receipt's row claimed, nothing applied
    const claimedAt = new Date();
    await getDb()
      .insert(mpesaC2bPayments)
      .values({
        transId,
        accountNumber: cs.accountNumber,
        amountMinor: 35_000,
        msisdn: phone,
        source: 'confirmation',
        status: 'applying',
        claimedAt,
      });
    expect(await reconcilePaybillByPull()).toMatchObject({ applied: 0 });
    expect(await retryPaybillReceipts()).toMatchObject({ retried: 0 });
    expect((await c2bRow(transId))?.status).toBe('applying');

    const later = new Date(claimedAt.getTime() + PAYBILL_CLAIM_LEASE_MS + 1_000);
    expect(await retryPaybillReceipts(later)).toMatchObject({ retried: 1 });
    expect(await c2bRow(transId)).toMatchObject({ status: 'applied', attemptId: expect.any(String) });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body).toMatchObject({
      status: 'succeeded',
      amount_received: 35_000,
    });
    expect(await retryPaybillReceipts(new Date(later.getTime() + PAYBILL_CLAIM_LEASE_MS * 2))).toMatchObject({ retried: 0 });
    const attempts = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    expect(attempts).toHaveLength(1);
    await assertPaymentInvariants(cs.payment_intent);
  });
});

describe('a crash after the attempt was begun', () => {
  it("the takeover adopts the crashed applier's attempt: one attempt, paid once", async () => {
    const { api, merchantId } = await mpesaMerchant(world.app);
    const { cs, phone, transId } = await paidWithLostConfirmation(api, 36_000);
    // what a crashed applier leaves after beginAttempt committed: the claim and an open Paybill attempt
    const claimedAt = new Date();
    await getDb()
      .insert(mpesaC2bPayments)
      .values({
        transId,
        accountNumber: cs.accountNumber,
        amountMinor: 36_000,
        msisdn: phone,
        source: 'pull',
        status: 'applying',
        claimedAt,
      });
    const begun = await beginAttempt(
      { merchantId, paymentIntentId: cs.payment_intent, customerIp: null },
      getPaymentMethodAdapter('mpesa'),
      { type: 'mpesa', reference: phone, phone, riskLevel: null },
      'paybill',
    );
    expect(await retryPaybillReceipts(new Date(claimedAt.getTime() + PAYBILL_CLAIM_LEASE_MS + 1_000))).toMatchObject({
      retried: 1,
    });
    expect(await c2bRow(transId)).toMatchObject({ status: 'applied', attemptId: begun.id });
    const attempts = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    expect(attempts.map((a) => [a.id, a.status])).toEqual([[begun.id, 'succeeded']]);
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body).toMatchObject({
      status: 'succeeded',
      amount_received: 36_000,
    });
    await assertPaymentInvariants(cs.payment_intent);
  });
});

describe('an applied Paybill payment', () => {
  it('is refunded in full by Reversal of its receipt, like an STK payment', async () => {
    const { api } = await mpesaMerchant(world.app);
    const { cs, transId } = await paidWithLostConfirmation(api, 90_000);
    expect(await reconcilePaybillByPull()).toMatchObject({ applied: 1 });
    // the ledger books the capture in the background; the balance then covers the refund
    const other = await paidWithLostConfirmation(api, 60_000);
    expect(other.transId).toBeTruthy();
    await reconcilePaybillByPull();
    await world.settle(async () => {
      const b = (await api.get('/api/v1/balance')).body;
      const kes = [...b.pending, ...b.available]
        .filter((x: { currency: string }) => x.currency === 'kes')
        .reduce((n: number, x: { amount: number }) => n + x.amount, 0);
      return kes > 90_000;
    });
    const created = await api.post('/api/v1/refunds', { payment_intent: cs.payment_intent });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const done = await world.settle(async () => {
      await retryPaybillReceipts();
      const r = (await api.get(`/api/v1/refunds/${created.body.id}`)).body;
      return r.status === 'pending' ? undefined : r;
    });
    expect(done).toMatchObject({ status: 'succeeded', amount: 90_000 });
    const [m] = await getDb().select().from(mpesaRefunds).where(eq(mpesaRefunds.originalReceipt, transId));
    expect(m).toMatchObject({ kind: 'reversal', outcome: 'succeeded', receiptNumber: expect.stringMatching(/^[A-Z0-9]{10}$/) });
    // the applied receipt is not mistaken for an unappliable one
    expect((await c2bRow(transId))?.status).toBe('applied');
    await assertPaymentInvariants(cs.payment_intent);
  });
});
