import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaC2bPayments, mpesaTillSessions, paymentAttempts, pspInbox } from '@/db/schema';
import { reconcilePaybillByPull, retryPaybillReceipts } from '@/lib/checkout/paybill';
import { tillForSession } from '@/lib/checkout/till';
import { resetEnvCache } from '@/lib/env';
import { darajaC2bUrls, resetDaraja } from '@/lib/psp/daraja';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { assertPaymentInvariants } from '../helpers/invariants';
import {
  freshPhone,
  kesSession,
  mpesaMerchant,
  paidByMpesa,
  phoneState,
  startMpesaWorld,
  type MpesaWorld,
} from '../helpers/mpesa-flow';

/**
 * Pay with Till (Buy Goods) end to end against the offline Daraja over HTTP: the pay page asks
 * the phone the customer pays from -> the customer pays the till from the phone's menu (no
 * account number) -> our ValidationURL accepts only the one open session expecting that phone
 * and amount -> the confirmation is verified by Pull Transactions -> the session is paid. And the
 * STK push to a till (CustomerBuyGoodsOnline, PartyB = the till).
 */

const TILL = '5566778';
let world: MpesaWorld;

beforeAll(async () => {
  world = await startMpesaWorld({ MPESA_SANDBOX_RESULT_DELAY_MS: '50', DARAJA_RESULT_WAIT_MS: '200', DARAJA_TILL_NUMBER: TILL });
});
afterEach(() => setMpesaFaults(null));
afterAll(() => world.close());

type Api = Awaited<ReturnType<typeof mpesaMerchant>>['api'];

/** The customer picks "Till" on the pay page and names the phone they pay from. */
async function expectTill(sessionId: string, phone: string) {
  const res = await fetch(`${world.app.url}/api/pay/${sessionId}/mpesa/till`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: `0${phone.slice(3)}` }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function tillSession(api: Api, amount: number, phone: string) {
  const cs = await kesSession(api, amount);
  expect(await tillForSession(cs.id)).toEqual({ tillNumber: TILL, expectingPhone: null });
  const started = await expectTill(cs.id, phone);
  expect(started, JSON.stringify(started.body)).toMatchObject({
    status: 200,
    body: { status: 'expecting', till_number: TILL, amount },
  });
  return cs;
}

/** Lipa na M-PESA > Buy Goods and Services on the simulated phone: till number, amount, PIN. */
const buyGoods = (msisdn: string, shillings: number, till = TILL) =>
  world.daraja.payBill(msisdn, { businessNumber: till, amount: shillings, pin: '1234', till: true });

const payStatus = async (sessionId: string) =>
  (await (await fetch(`${world.app.url}/api/pay/${sessionId}/mpesa`)).json()) as { status: string; redirect_url?: string };
const piStatus = async (api: Api, pi: string) => (await api.get(`/api/v1/payment_intents/${pi}`)).body.status as string;
const merchantAccount = async () => Number((await world.daraja.portal()).balances.merchant);
const c2bRow = async (transId: string) =>
  (await getDb().select().from(mpesaC2bPayments).where(eq(mpesaC2bPayments.transId, transId)))[0];
const validationOutcomes = async () =>
  (await getDb().select().from(pspInbox).where(eq(pspInbox.psp, 'mpesa_c2b_validation'))).map((r) => r.outcome);

describe('Pay with Till', () => {
  it('a valid payment from the expected phone: validated, confirmed, verified by Pull, the session paid and the page follows', async () => {
    const { api } = await mpesaMerchant(world.app);
    const phone = freshPhone();
    const cs = await tillSession(api, 65_000, phone);
    const before = await merchantAccount();
    const answer = await buyGoods(phone, 650);
    expect(answer, JSON.stringify(answer)).toMatchObject({ ResultCode: 0, TransID: expect.stringMatching(/^[A-Z0-9]{10}$/) });
    const done = await world.settle(async () => ((await payStatus(cs.id)).status === 'succeeded' ? payStatus(cs.id) : undefined));
    expect(done.redirect_url).toBe(`https://shop.example/ok?cs=${cs.id}`);
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body).toMatchObject({
      status: 'succeeded',
      amount_received: 65_000,
    });
    // Till money lands in the store's Merchant account
    expect(await merchantAccount()).toBe(before + 650);
    const c2b = await c2bRow(answer.TransID);
    expect(c2b).toMatchObject({
      kind: 'till',
      status: 'applied',
      source: 'confirmation',
      accountNumber: '',
      amountMinor: 65_000,
      msisdn: phone,
    });
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, c2b!.attemptId!));
    expect(attempt).toMatchObject({ psp: 'mpesa', status: 'succeeded', pspReference: answer.TransID, routingReason: 'till' });
    // validation tied the receipt to this session
    const [expecting] = await getDb().select().from(mpesaTillSessions).where(eq(mpesaTillSessions.checkoutSessionId, cs.id));
    expect(expecting?.validatedTransId).toBe(answer.TransID);
    expect((await reconcilePaybillByPull()).applied).toBe(0);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a payment from a phone no session expects is rejected by validation (C2B00011): no money moves', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cs = await tillSession(api, 21_000, freshPhone());
    const before = await merchantAccount();
    const answer = await buyGoods(freshPhone(), 210);
    expect(answer).toMatchObject({ ResultCode: 'C2B00011', status: 'rejected' });
    expect(await merchantAccount()).toBe(before);
    expect(await validationOutcomes()).toContain('rejected_C2B00011');
    expect(await piStatus(api, cs.payment_intent)).toBe('requires_payment_method');
  });

  it('another amount from the expected phone is rejected (C2B00013); the exact amount then pays', async () => {
    const { api } = await mpesaMerchant(world.app);
    const phone = freshPhone();
    const cs = await tillSession(api, 33_000, phone);
    const before = await merchantAccount();
    expect(await buyGoods(phone, 329)).toMatchObject({ ResultCode: 'C2B00013' });
    expect(await merchantAccount()).toBe(before);
    expect(await piStatus(api, cs.payment_intent)).toBe('requires_payment_method');
    expect(await buyGoods(phone, 330)).toMatchObject({ ResultCode: 0 });
    await world.settle(async () => (await payStatus(cs.id)).status === 'succeeded');
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a second session expecting the same phone and amount is refused at the start; if both expect it anyway, validation refuses (C2B00016)', async () => {
    const { api } = await mpesaMerchant(world.app);
    const phone = freshPhone();
    const first = await tillSession(api, 44_000, phone);
    const second = await kesSession(api, 44_000);
    const refused = await expectTill(second.id, phone);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'payment_in_progress', param: 'phone' });
    expect(await getDb().select().from(mpesaTillSessions).where(eq(mpesaTillSessions.checkoutSessionId, second.id))).toHaveLength(
      0,
    );
    // another amount from the same phone is no ambiguity
    const other = await kesSession(api, 45_000);
    expect((await expectTill(other.id, phone)).status).toBe(200);

    // two starts racing past the check leave two sessions expecting the same payer and amount
    const [row] = await getDb().select().from(mpesaTillSessions).where(eq(mpesaTillSessions.checkoutSessionId, first.id));
    await getDb()
      .insert(mpesaTillSessions)
      .values({ ...row!, checkoutSessionId: second.id, paymentIntentId: second.payment_intent, validatedTransId: null });
    const before = await merchantAccount();
    expect(await buyGoods(phone, 440)).toMatchObject({ ResultCode: 'C2B00016', status: 'rejected' });
    expect(await merchantAccount()).toBe(before);
    expect(await piStatus(api, first.payment_intent)).toBe('requires_payment_method');
    expect(await piStatus(api, second.payment_intent)).toBe('requires_payment_method');
  });

  it('an ambiguous payment Daraja completed without asking us is given back by Reversal, never credited to either session', async () => {
    const { api } = await mpesaMerchant(world.app);
    const phone = freshPhone();
    const first = await tillSession(api, 52_000, phone);
    const second = await kesSession(api, 52_000);
    const [row] = await getDb().select().from(mpesaTillSessions).where(eq(mpesaTillSessions.checkoutSessionId, first.id));
    await getDb()
      .insert(mpesaTillSessions)
      .values({ ...row!, checkoutSessionId: second.id, paymentIntentId: second.payment_intent, validatedTransId: null });
    // validation is optional at Daraja: a ValidationURL that does not answer, ResponseType Completed
    const urls = darajaC2bUrls();
    const registered = await world.daraja.post('mpesa/c2b/v1/registerurl', {
      ShortCode: world.daraja.shortcode,
      ResponseType: 'Completed',
      ConfirmationURL: urls.confirmationUrl,
      ValidationURL: `${world.app.url}/api/psp/daraja/c2b/validation/not-our-token-${randomUUID()}`,
    });
    expect(registered.status).toBe(200);
    try {
      const answer = await buyGoods(phone, 520);
      expect(answer, JSON.stringify(answer)).toMatchObject({ ResultCode: 0 });
      const returned = await world.settle(async () => {
        await retryPaybillReceipts();
        const c2b = await c2bRow(answer.TransID);
        return c2b?.status === 'returned' ? c2b : undefined;
      });
      expect(returned).toMatchObject({
        kind: 'till',
        msisdn: phone,
        amountMinor: 52_000,
        returnReceipt: expect.stringMatching(/^[A-Z0-9]{10}$/),
      });
      expect(returned.note).toMatch(/several open checkouts/);
      expect(returned.attemptId).toBeNull();
      expect(await piStatus(api, first.payment_intent)).toBe('requires_payment_method');
      expect(await piStatus(api, second.payment_intent)).toBe('requires_payment_method');
      const sms = (await phoneState(world.app, phone)).messages.map((m) => m.body);
      expect(sms.some((b) => b.includes(`Transaction ${answer.TransID} has been reversed`))).toBe(true);
    } finally {
      // our own URLs again (the cron's forced registration)
      await reconcilePaybillByPull();
    }
  });

  it('a confirmation that never arrives: the Pull sweep finds the receipt and pays the session validation tied it to', async () => {
    const { api } = await mpesaMerchant(world.app);
    const phone = freshPhone();
    const cs = await tillSession(api, 47_000, phone);
    setMpesaFaults({ loseC2bConfirmation: true });
    const answer = await buyGoods(phone, 470);
    expect(answer).toMatchObject({ ResultCode: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await payStatus(cs.id)).status).not.toBe('succeeded');
    expect(await c2bRow(answer.TransID)).toBeUndefined();
    setMpesaFaults(null);
    expect(await reconcilePaybillByPull()).toMatchObject({ applied: 1 });
    await world.settle(async () => (await payStatus(cs.id)).status === 'succeeded');
    expect(await c2bRow(answer.TransID)).toMatchObject({ kind: 'till', status: 'applied', source: 'pull' });
    expect((await reconcilePaybillByPull()).applied).toBe(0);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('Buy Goods to a till number that is not ours fails on the phone (C2B00015) and moves nothing', async () => {
    const before = await merchantAccount();
    expect(await buyGoods(freshPhone(), 100, '1234567')).toMatchObject({ ResultCode: 'C2B00015' });
    expect(await merchantAccount()).toBe(before);
  });
});

describe('STK push to a till (CustomerBuyGoodsOnline)', () => {
  afterAll(() => {
    delete process.env.DARAJA_STK_TRANSACTION_TYPE;
    resetEnvCache();
    resetDaraja();
  });

  it('the sandbox checks PartyB against the TransactionType as Daraja does', async () => {
    const { darajaPassword, darajaTimestamp } = await import('@/lib/psp/daraja');
    const timestamp = darajaTimestamp();
    const payer = freshPhone();
    const push = (TransactionType: string, PartyB: string) =>
      world.daraja.post('mpesa/stkpush/v1/processrequest', {
        BusinessShortCode: world.daraja.shortcode,
        Password: darajaPassword(world.daraja.shortcode, process.env.DARAJA_PASSKEY!, timestamp),
        Timestamp: timestamp,
        TransactionType,
        Amount: 10,
        PartyA: payer,
        PartyB,
        PhoneNumber: payer,
        CallBackURL: 'https://shop.example/cb',
        AccountReference: 'Order',
        TransactionDesc: 'Payment',
      });
    expect(await push('CustomerBuyGoodsOnline', world.daraja.shortcode)).toMatchObject({
      status: 400,
      body: { errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid PartyB' },
    });
    expect(await push('CustomerPayBillOnline', TILL)).toMatchObject({
      status: 400,
      body: { errorMessage: 'Bad Request - Invalid PartyB' },
    });
    expect(await push('CustomerBuyGoodsOnline', TILL)).toMatchObject({ status: 200, body: { ResponseCode: '0' } });
  });

  it('configured for a till, the pay page push pays the till and the payment succeeds', async () => {
    process.env.DARAJA_STK_TRANSACTION_TYPE = 'CustomerBuyGoodsOnline';
    resetEnvCache();
    resetDaraja();
    const { api } = await mpesaMerchant(world.app);
    const before = await merchantAccount();
    const { paymentIntentId } = await paidByMpesa(world, api, 12_000);
    // the push paid the till (PartyB): the money is in the Merchant account, not the paybill's Utility account
    expect(await merchantAccount()).toBe(before + 120);
    await assertPaymentInvariants(paymentIntentId);
  });
});

describe('the STK prompt lifetime (DARAJA_STK_PROMPT_LIFETIME_MS)', () => {
  afterAll(() => {
    delete process.env.DARAJA_STK_PROMPT_LIFETIME_MS;
    resetEnvCache();
  });

  it('sets the next_action expiry and the simulated phone keeps the prompt that long', async () => {
    process.env.DARAJA_STK_PROMPT_LIFETIME_MS = '180000';
    resetEnvCache();
    const { api } = await mpesaMerchant(world.app);
    const created = await api.post(
      '/api/v1/payment_intents',
      { amount: 9_000, currency: 'kes', payment_method_types: ['mpesa'] },
      { idempotencyKey: randomUUID() },
    );
    expect(created.status).toBe(200);
    const phone = freshPhone();
    const startedAt = Date.now() / 1000;
    const res = await api.post(
      `/api/v1/payment_intents/${created.body.id}/confirm`,
      { payment_method_data: { type: 'mpesa', mpesa: { phone } } },
      { idempotencyKey: randomUUID() },
    );
    const body = res.body;
    expect(res.status, JSON.stringify(body)).toBe(200);
    const expiresAt = body.next_action.mpesa_stk_push.expires_at as number;
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(startedAt) + 178);
    expect(expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 180);
    // the offline Daraja's phone follows the same lifetime unless MPESA_SANDBOX_PROMPT_TIMEOUT_MS says otherwise
    const prompt = (await world.daraja.phone(phone)).prompt as { expiresAt: string };
    expect(Math.abs(Date.parse(prompt.expiresAt) / 1000 - expiresAt)).toBeLessThan(3);
  });
});
