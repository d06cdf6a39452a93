import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, sandboxMpesaStkRequests } from '@/db/schema';
import { assertPaymentInvariants } from '../helpers/invariants';
import { enterPin, freshPhone, mpesaMerchant, phoneState, startMpesaWorld, type MpesaWorld } from '../helpers/mpesa-flow';

/**
 * The API-driven STK push: a merchant's server confirms a PaymentIntent with
 * payment_method_data {type: "mpesa"} (no pay page); the intent answers processing with
 * next_action mpesa_stk_push, and the outcome arrives as Daraja decides it (the sandbox's test
 * numbers answer by themselves), by webhook events and by polling the intent.
 */

let world: MpesaWorld;

beforeAll(async () => {
  world = await startMpesaWorld({
    MPESA_SANDBOX_AUTO_ANSWER_MS: '150',
    PAYMENT_CALLBACK_TIMEOUT_MS: '400',
    PAYMENT_RESOLUTION_DEADLINE_MS: '15000',
    PAYMENT_QUERY_BACKOFF_MS: '200',
    DARAJA_RETRY_BASE_MS: '20',
    DARAJA_RETRY_MAX_DELAY_MS: '50',
  });
});
afterAll(() => world.close());

type Api = Awaited<ReturnType<typeof mpesaMerchant>>['api'];

async function mpesaIntent(api: Api, amount: number) {
  const res = await api.post('/api/v1/payment_intents', { amount, currency: 'kes', payment_method_types: ['mpesa'] }, { idempotencyKey: randomUUID() });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { id: string };
}

const push = (api: Api, id: string, phone: string, idempotencyKey = randomUUID()) =>
  api.post(`/api/v1/payment_intents/${id}/confirm`, { payment_method_data: { type: 'mpesa', mpesa: { phone } } }, { idempotencyKey });

const finalIntent = (api: Api, id: string) =>
  world.settle(async () => {
    const pi = (await api.get(`/api/v1/payment_intents/${id}`)).body;
    return pi.status === 'processing' ? undefined : pi;
  });

const eventTypes = async (id: string) =>
  (await getDb().select({ type: outboxEvents.type }).from(outboxEvents).where(eq(outboxEvents.aggregateId, id))).map((e) => e.type);

describe('API-driven M-Pesa STK push', () => {
  it('approve: processing with next_action mpesa_stk_push, then succeeded (polling and the succeeded event); a replay pushes once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const pi = await mpesaIntent(api, 100_000);
    const key = randomUUID();
    const res = await push(api, pi.id, '0700 000 000', key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      id: pi.id,
      status: 'processing',
      next_action: {
        type: 'mpesa_stk_push',
        mpesa_stk_push: { phone: '254700000000', checkout_request_id: expect.stringMatching(/^ws_CO_/), merchant_request_id: expect.any(String) },
      },
    });
    const expiresAt = res.body.next_action.mpesa_stk_push.expires_at as number;
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 61);

    // the same Idempotency-Key: the stored answer, and still one prompt at Daraja
    const replay = await push(api, pi.id, '0700 000 000', key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(res.body);
    const checkoutRequestId = res.body.next_action.mpesa_stk_push.checkout_request_id as string;
    expect(await getDb().select().from(sandboxMpesaStkRequests).where(eq(sandboxMpesaStkRequests.id, checkoutRequestId))).toHaveLength(1);

    const done = await finalIntent(api, pi.id);
    expect(done).toMatchObject({ status: 'succeeded', amount_received: 100_000, next_action: null });
    expect(await eventTypes(pi.id)).toEqual(expect.arrayContaining(['payment_intent.processing', 'payment_intent.succeeded']));
    await assertPaymentInvariants(pi.id);
  });

  for (const [phone, code, message] of [
    ['254700001032', 'mpesa_cancelled', /cancelled/],
    ['254700001037', 'mpesa_phone_unreachable', /could not reach your phone/],
    ['254700002001', 'mpesa_wrong_pin', /PIN entered was wrong/],
  ] as const) {
    it(`${code}: the intent goes back to requires_payment_method with the reason, and can be pushed again`, async () => {
      const { api } = await mpesaMerchant(world.app);
      const pi = await mpesaIntent(api, 30_000 + Number(phone.slice(-4)) * 100);
      const res = await push(api, pi.id, phone);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe('processing');
      const failed = await finalIntent(api, pi.id);
      expect(failed).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code, message: expect.stringMatching(message) } });
      expect(await eventTypes(pi.id)).toContain('payment_intent.payment_failed');
      // the merchant may try again (another number that pays)
      const again = await push(api, pi.id, '254700000000');
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect((await finalIntent(api, pi.id)).status).toBe('succeeded');
      await assertPaymentInvariants(pi.id);
    });
  }

  it('GET shows next_action mpesa_stk_push while the prompt is open on the phone, and null once it is answered', async () => {
    const { api } = await mpesaMerchant(world.app);
    const pi = await mpesaIntent(api, 41_000);
    const phone = freshPhone(); // not a test number: waits for the simulated phone
    const res = await push(api, pi.id, phone);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const read = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body;
    expect(read).toMatchObject({ status: 'processing', next_action: res.body.next_action });
    expect(read.next_action).toMatchObject({ type: 'mpesa_stk_push', mpesa_stk_push: { phone, checkout_request_id: expect.stringMatching(/^ws_CO_/) } });
    const prompt = await world.settle(async () => (await phoneState(world.app, phone)).prompt);
    expect((await enterPin(world.app, phone, prompt.checkoutRequestId)).ResultCode).toBe(0);
    expect(await finalIntent(api, pi.id)).toMatchObject({ status: 'succeeded', next_action: null });
  });

  it('refuses bad input with a typed error and changes nothing', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cents = await api.post('/api/v1/payment_intents', { amount: 100_050, currency: 'kes', payment_method_types: ['mpesa'] }, { idempotencyKey: randomUUID() });
    expect(cents.status).toBe(400);
    expect(cents.body.error).toMatchObject({ code: 'parameter_invalid', param: 'amount', message: expect.stringMatching(/whole shillings/) });
    const usd = await api.post('/api/v1/payment_intents', { amount: 1_000, currency: 'usd', payment_method_types: ['mpesa'] }, { idempotencyKey: randomUUID() });
    expect(usd.status).toBe(400);
    expect(usd.body.error).toMatchObject({ code: 'currency_unsupported' });

    const pi = await mpesaIntent(api, 40_000);
    const bad = await push(api, pi.id, '12345');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'parameter_invalid', param: 'phone' });
    const both = await api.post(
      `/api/v1/payment_intents/${pi.id}/confirm`,
      { payment_method: 'pm_card_visa', payment_method_data: { type: 'mpesa', mpesa: { phone: '254700000000' } } },
      { idempotencyKey: randomUUID() },
    );
    expect(both.status).toBe(400);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body).toMatchObject({ status: 'requires_payment_method', latest_attempt: null });
    const attempts = await getDb()
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.aggregateId, pi.id), eq(outboxEvents.type, 'payment_intent.processing')));
    expect(attempts).toHaveLength(0);
  });
});
