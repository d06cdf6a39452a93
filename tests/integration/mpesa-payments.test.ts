import { randomUUID } from 'node:crypto';
import { eq, like } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaPayments, outboxEvents, paymentAttempts, pspInbox, sandboxMpesaStkRequests } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { inngest } from '@/inngest/client';
import { startHarness, type Harness } from '@/tests/helpers/engine-harness';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { darajaCallbackToken, resetDaraja } from '@/lib/psp/daraja';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * M-Pesa end to end through HTTP: the pay page's start call -> Daraja (the offline sandbox) ->
 * the simulated phone -> the unsigned callback -> the inbox -> STK query -> the intent, and the
 * ledger. The engine (test harness) runs the real functions; the outbox is relayed to it.
 */

const ENV = {
  PAYMENT_CALLBACK_TIMEOUT_MS: '400',
  PAYMENT_RESOLUTION_DEADLINE_MS: '15000',
  PAYMENT_QUERY_BACKOFF_MS: '200',
  MPESA_SANDBOX_AUTO_ANSWER_MS: '150',
  DARAJA_RETRY_BASE_MS: '20',
  DARAJA_RETRY_MAX_DELAY_MS: '50',
};

let app: TestApp;
let h: Harness;

beforeAll(async () => {
  Object.assign(process.env, ENV);
  app = await startTestApp();
  resetDaraja();
  h = await startHarness((client) => defineFunctions(client));
  // the callback route sends with the app's own client: point it at this file's engine
  inngest.setEnvVars({ INNGEST_BASE_URL: h.engine.url, INNGEST_EVENT_KEY: h.eventKey });
});
afterEach(() => {
  setMpesaFaults(null);
});
afterAll(async () => {
  for (const k of Object.keys(ENV)) delete process.env[k];
  await h.close();
  await app.close();
});

const relay = () => relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined));

/** Drives the engine (and the outbox relay) until `probe` returns a value. */
function settle<T>(probe: () => Promise<T | undefined | false | null>, timeoutMs = 20_000): Promise<T> {
  return h.waitFor(async () => {
    await relay();
    return probe();
  }, timeoutMs);
}

let phoneCounter = 0;
/** A fresh Safaricom number per test, so the per-phone risk rules never carry over. */
function freshPhone(): { local: string; msisdn: string } {
  const n = String(Date.now() % 1_000_000).padStart(6, '0') + String(++phoneCounter % 100).padStart(2, '0');
  return { local: `07${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5)}`, msisdn: `2547${n}` };
}

async function merchant() {
  const m = await createTestMerchant('Mama Mboga');
  return { api: apiClient(app, m.secretKey), merchantId: m.merchant.id };
}

async function kesSession(api: ReturnType<typeof apiClient>, amount = 150_000) {
  const res = await api.post(
    '/api/v1/checkout/sessions',
    {
      amount,
      currency: 'kes',
      success_url: 'https://shop.example/ok?cs={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example/cancel',
    },
    { idempotencyKey: randomUUID() },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { id: string; payment_intent: string };
}

async function startMpesa(sessionId: string, phone: string) {
  const res = await fetch(`${app.url}/api/pay/${sessionId}/mpesa`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      'x-forwarded-for': `10.9.${phoneCounter % 250}.${(Date.now() % 250) + 1}`,
    },
    body: JSON.stringify({ phone }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function payStatus(sessionId: string) {
  return (await (await fetch(`${app.url}/api/pay/${sessionId}/mpesa`)).json()) as any;
}

async function promptOn(msisdn: string): Promise<{ checkoutRequestId: string; amount: number; payee: string }> {
  return settle(async () => {
    const body = (await (await fetch(`${app.url}/api/sandbox/mpesa/phone/${msisdn}`)).json()) as any;
    return body.prompt ?? undefined;
  });
}

async function answer(msisdn: string, checkoutRequestId: string, body: { action: 'pin'; pin: string } | { action: 'cancel' }) {
  const res = await fetch(`${app.url}/api/sandbox/mpesa/phone/${msisdn}/respond`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, checkoutRequestId }),
  });
  return (await res.json()) as { ResultCode: number; message: string };
}

const finalStatus = (sessionId: string) =>
  settle(async () => {
    const s = await payStatus(sessionId);
    return s.status === 'succeeded' || s.status === 'failed' ? s : undefined;
  });

async function inboxRowsFor(checkoutRequestId: string) {
  return getDb()
    .select()
    .from(pspInbox)
    .where(like(pspInbox.pspEventId, `${checkoutRequestId}:%`));
}

describe('M-Pesa STK push payments', () => {
  it('start -> the customer approves on the phone -> callback -> STK query confirms -> succeeded, and the balance shows it', async () => {
    const { api } = await merchant();
    const cs = await kesSession(api, 150_000);
    const phone = freshPhone();
    const started = await startMpesa(cs.id, phone.local);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body).toMatchObject({ status: 'waiting', phone: expect.stringContaining('+254') });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('processing');

    const prompt = await promptOn(phone.msisdn);
    expect(prompt).toMatchObject({ amount: 1500, payee: 'Mama Mboga' });
    expect((await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'pin', pin: '1234' })).ResultCode).toBe(0);

    const done = await finalStatus(cs.id);
    expect(done).toMatchObject({ status: 'succeeded', redirect_url: `https://shop.example/ok?cs=${cs.id}` });
    const pi = (await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body;
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 150_000 });
    const [row] = await getDb().select().from(mpesaPayments).where(eq(mpesaPayments.checkoutRequestId, prompt.checkoutRequestId));
    expect(row).toMatchObject({ resultCode: 0, phone: phone.msisdn, amountMinor: 150_000 });
    expect(row?.receiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, row!.attemptId));
    expect(attempt).toMatchObject({ psp: 'mpesa', status: 'succeeded', pspReference: prompt.checkoutRequestId });
    expect(await inboxRowsFor(prompt.checkoutRequestId)).toHaveLength(1);

    // the ledger booked the capture: the merchant's KES balance shows the payment less the fee
    const balance = await settle(async () => {
      const b = (await api.get('/api/v1/balance')).body;
      const kes = [...b.pending, ...b.available].filter((x: { currency: string }) => x.currency === 'kes');
      const total = kes.reduce((sum: number, x: { amount: number }) => sum + x.amount, 0);
      return total > 0 ? total : undefined;
    });
    expect(balance).toBeGreaterThan(0);
    expect(balance).toBeLessThanOrEqual(150_000);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a wrong PIN fails with a clear message and the customer can try again', async () => {
    const { api } = await merchant();
    const cs = await kesSession(api, 20_000);
    const phone = freshPhone();
    expect((await startMpesa(cs.id, `+${phone.msisdn}`)).status).toBe(200);
    const prompt = await promptOn(phone.msisdn);
    expect((await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'pin', pin: '0000' })).ResultCode).toBe(2001);
    const failed = await finalStatus(cs.id);
    expect(failed).toMatchObject({
      status: 'failed',
      error: { code: 'mpesa_wrong_pin', message: expect.stringMatching(/PIN entered was wrong/) },
    });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'mpesa_wrong_pin' },
    });

    // a new try on the same session and phone works (a failed attempt does not count as a duplicate)
    expect((await startMpesa(cs.id, phone.msisdn)).status).toBe(200);
    const again = await promptOn(phone.msisdn);
    expect(again.checkoutRequestId).not.toBe(prompt.checkoutRequestId);
    await answer(phone.msisdn, again.checkoutRequestId, { action: 'pin', pin: '1234' });
    expect(await finalStatus(cs.id)).toMatchObject({ status: 'succeeded' });
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a cancel on the phone fails with a clear message (1032)', async () => {
    const { api } = await merchant();
    const cs = await kesSession(api, 30_000);
    const phone = freshPhone();
    await startMpesa(cs.id, phone.local);
    const prompt = await promptOn(phone.msisdn);
    expect((await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'cancel' })).ResultCode).toBe(1032);
    expect(await finalStatus(cs.id)).toMatchObject({
      status: 'failed',
      error: { code: 'mpesa_cancelled', message: expect.stringMatching(/cancelled/) },
    });
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('test numbers answer by themselves: 254700000001 has insufficient funds (1)', async () => {
    const { api } = await merchant();
    const cs = await kesSession(api, 40_000);
    await startMpesa(cs.id, '0700 000 001');
    expect(await finalStatus(cs.id)).toMatchObject({
      status: 'failed',
      error: { code: 'mpesa_insufficient_funds', message: expect.stringMatching(/balance is too low/) },
    });
  });

  it('a duplicated callback has one effect', async () => {
    setMpesaFaults({ duplicate: true });
    const { api } = await merchant();
    const cs = await kesSession(api, 50_000);
    const phone = freshPhone();
    await startMpesa(cs.id, phone.local);
    const prompt = await promptOn(phone.msisdn);
    await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'pin', pin: '1234' });
    expect(await finalStatus(cs.id)).toMatchObject({ status: 'succeeded' });
    // both deliveries arrived (same bytes -> one inbox row); one success event, one capture posting
    await settle(async () => {
      const rows = await inboxRowsFor(prompt.checkoutRequestId);
      return rows.length === 1 && rows[0]!.processedAt ? true : undefined;
    });
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, cs.payment_intent));
    expect(events.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('forged callbacks have no effect: bad token, mismatched amount, unknown CheckoutRequestID, or a success Daraja does not confirm', async () => {
    const { api } = await merchant();
    const cs = await kesSession(api, 60_000);
    const phone = freshPhone();
    await startMpesa(cs.id, phone.local);
    const prompt = await promptOn(phone.msisdn);
    const [row] = await getDb().select().from(mpesaPayments).where(eq(mpesaPayments.checkoutRequestId, prompt.checkoutRequestId));
    const forged = (overrides: { checkoutRequestId?: string; amount?: number }) =>
      JSON.stringify({
        Body: {
          stkCallback: {
            MerchantRequestID: row!.merchantRequestId,
            CheckoutRequestID: overrides.checkoutRequestId ?? prompt.checkoutRequestId,
            ResultCode: 0,
            ResultDesc: 'The service request is processed successfully.',
            CallbackMetadata: {
              Item: [
                { Name: 'Amount', Value: overrides.amount ?? 600 },
                { Name: 'MpesaReceiptNumber', Value: 'FORGED0001' },
                { Name: 'TransactionDate', Value: 20261126101500 },
                { Name: 'PhoneNumber', Value: Number(phone.msisdn) },
              ],
            },
          },
        },
      });
    const post = (token: string, body: string) =>
      fetch(`${app.url}/api/psp/mpesa/callback/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });

    const badToken = await post('x'.repeat(40), forged({}));
    expect(badToken.status).toBe(404);
    const notACallback = await post(darajaCallbackToken(), JSON.stringify({ hello: 'world' }));
    expect(notACallback.status).toBe(400);
    expect(await inboxRowsFor(prompt.checkoutRequestId)).toHaveLength(0);

    const token = darajaCallbackToken();
    expect((await post(token, forged({ amount: 1 }))).status).toBe(200);
    expect((await post(token, forged({ checkoutRequestId: 'ws_CO_00000000000000000000000' }))).status).toBe(200);
    expect((await post(token, forged({}))).status).toBe(200); // right amount, but Daraja still waits for the PIN
    const outcomes = await settle(async () => {
      const rows = [...(await inboxRowsFor(prompt.checkoutRequestId)), ...(await inboxRowsFor('ws_CO_00000000000000000000000'))];
      return rows.length === 3 && rows.every((r) => r.processedAt) ? rows.map((r) => r.outcome).sort() : undefined;
    });
    expect(outcomes).toEqual(['rejected', 'unconfirmed', 'unknown_payment']);
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, row!.attemptId));
    expect(attempt?.status).toBe('pending');
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('processing');

    // the real answer still goes through
    await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'pin', pin: '1234' });
    expect(await finalStatus(cs.id)).toMatchObject({ status: 'succeeded' });
    const [paid] = await getDb().select().from(mpesaPayments).where(eq(mpesaPayments.attemptId, row!.attemptId));
    expect(paid?.receiptNumber).not.toBe('FORGED0001');
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a lost callback is resolved by the resolve-pending-payment workflow (STK query)', async () => {
    setMpesaFaults({ drop: true });
    const { api } = await merchant();
    const cs = await kesSession(api, 70_000);
    const phone = freshPhone();
    await startMpesa(cs.id, phone.local);
    const prompt = await promptOn(phone.msisdn);
    await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'pin', pin: '1234' });
    expect(await finalStatus(cs.id)).toMatchObject({ status: 'succeeded' });
    expect(await inboxRowsFor(prompt.checkoutRequestId)).toHaveLength(0);
    // it was the workflow's STK query that settled it
    const run = await settle(async () => {
      const runs = (await h.runs()).map((r) => JSON.stringify(r));
      return runs.find(
        (r) => r.includes('resolve-pending-payment') && r.includes(cs.payment_intent) && r.includes('"resolved":"succeeded"'),
      );
    });
    expect(run).toBeDefined();
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a prompt nobody answers times out (1037) and the payment fails with a clear message', async () => {
    const { api } = await merchant();
    const cs = await kesSession(api, 80_000);
    const phone = freshPhone();
    await startMpesa(cs.id, phone.local);
    const prompt = await promptOn(phone.msisdn);
    // the phone's timeout is due: the sandbox settles it on the next look
    await getDb()
      .update(sandboxMpesaStkRequests)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sandboxMpesaStkRequests.id, prompt.checkoutRequestId));
    expect(await finalStatus(cs.id)).toMatchObject({ status: 'failed', error: { code: 'mpesa_phone_unreachable' } });
  });

  it('refuses cents and numbers that are not Kenyan mobiles, with a clear 400', async () => {
    const { api } = await merchant();
    const cents = await kesSession(api, 150_050);
    const res = await startMpesa(cents.id, '0712345678');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'parameter_invalid',
      param: 'amount',
      message: expect.stringMatching(/whole shillings/),
    });
    const cs = await kesSession(api, 10_000);
    const bad = await startMpesa(cs.id, '0812 345 678');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'parameter_invalid',
      param: 'phone',
      message: expect.stringMatching(/Kenyan mobile number/),
    });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('requires_payment_method');
  });

  it('risk: the same amount to the same phone within 2 minutes is blocked; so is a 6th attempt with one phone in a day', async () => {
    const { api } = await merchant();
    const phone = freshPhone();
    const first = await kesSession(api, 90_000);
    await startMpesa(first.id, phone.local);
    const second = await kesSession(api, 90_000);
    const dup = await startMpesa(second.id, phone.local);
    expect(dup.status).toBe(402);
    expect(dup.body.error).toMatchObject({
      code: 'payment_blocked',
      message: expect.stringMatching(/same amount was just requested from this phone/),
    });

    // attempts 3..5 with other amounts (each cancelled), then the 6th is blocked
    const prompt = await promptOn(phone.msisdn);
    await answer(phone.msisdn, prompt.checkoutRequestId, { action: 'cancel' });
    await finalStatus(first.id);
    for (let i = 0; i < 3; i++) {
      const cs = await kesSession(api, 91_000 + i * 100);
      expect((await startMpesa(cs.id, phone.local)).status).toBe(200);
      const p = await promptOn(phone.msisdn);
      await answer(phone.msisdn, p.checkoutRequestId, { action: 'cancel' });
      await finalStatus(cs.id);
    }
    const sixth = await startMpesa((await kesSession(api, 99_000)).id, phone.local);
    expect(sixth.status).toBe(402);
    expect(sixth.body.error.message).toMatch(/Too many payment attempts with this phone number/);
  });

  it('spike arrest: the push is retried with backoff, then fails clearly without charging; it works once Daraja recovers', async () => {
    const { api } = await merchant();
    const phone = freshPhone();
    setMpesaFaults({ spikeArrest: true });
    const cs = await kesSession(api, 11_000);
    const res = await startMpesa(cs.id, phone.local);
    expect(res.status).toBe(429);
    expect(res.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/too many requests/) });
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('requires_payment_method');
    expect(
      await getDb().select().from(sandboxMpesaStkRequests).where(eq(sandboxMpesaStkRequests.phone, phone.msisdn)),
    ).toHaveLength(0);

    // two spike arrests, then acceptance: the retries absorb them
    setMpesaFaults({ spikeArrestNext: 2 });
    expect((await startMpesa(cs.id, phone.local)).status).toBe(200);
    expect(
      await getDb().select().from(sandboxMpesaStkRequests).where(eq(sandboxMpesaStkRequests.phone, phone.msisdn)),
    ).toHaveLength(1);
  });
});
