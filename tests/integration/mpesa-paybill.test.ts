import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaC2bPayments, paymentAttempts, pspInbox } from '@/db/schema';
import { paybillForSession, reconcilePaybillByPull } from '@/lib/checkout/paybill';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { assertPaymentInvariants } from '../helpers/invariants';
import { freshPhone, kesSession, mpesaMerchant, startMpesaWorld, type MpesaWorld } from '../helpers/mpesa-flow';

/**
 * Pay with Paybill (C2B) end to end: the pay page's instructions (business number, the session's
 * account number) -> the customer's phone menu at the offline Daraja -> our ValidationURL
 * (unknown account, wrong amount: rejected before money moves) -> the confirmation -> Pull
 * Transactions verifies it -> the session is paid; a lost confirmation is found by the Pull sweep.
 */

let world: MpesaWorld;

beforeAll(async () => {
  world = await startMpesaWorld({ MPESA_SANDBOX_RESULT_DELAY_MS: '50' });
});
afterEach(() => setMpesaFaults(null));
afterAll(() => world.close());

type Api = Awaited<ReturnType<typeof mpesaMerchant>>['api'];

async function paybillSession(api: Api, amount: number) {
  const cs = await kesSession(api, amount);
  const instructions = await paybillForSession(cs.id);
  expect(instructions).toMatchObject({ businessNumber: world.daraja.shortcode, accountNumber: expect.stringMatching(/^PK[A-Z0-9]{6}$/) });
  // the same session always shows the same account number
  expect(await paybillForSession(cs.id)).toEqual(instructions);
  return { ...cs, accountNumber: instructions!.accountNumber };
}

const payOnPhone = (msisdn: string, accountNumber: string, shillings: number) =>
  world.daraja.payBill(msisdn, { businessNumber: world.daraja.shortcode, accountNumber, amount: shillings, pin: '1234' });

const payStatus = async (sessionId: string) => (await (await fetch(`${world.app.url}/api/pay/${sessionId}/mpesa`)).json()) as { status: string; redirect_url?: string };

const utility = async () => Number((await world.daraja.portal()).balances.utility);

describe('Pay with Paybill', () => {
  it('a valid payment: validated, confirmed, verified by Pull Transactions, and the pay page follows to success', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cs = await paybillSession(api, 75_000);
    const phone = freshPhone();
    const answer = await payOnPhone(phone, cs.accountNumber.toLowerCase(), 750);
    expect(answer, JSON.stringify(answer)).toMatchObject({ ResultCode: 0, TransID: expect.stringMatching(/^[A-Z0-9]{10}$/) });
    const done = await world.settle(async () => ((await payStatus(cs.id)).status === 'succeeded' ? payStatus(cs.id) : undefined));
    expect(done.redirect_url).toBe(`https://shop.example/ok?cs=${cs.id}`);
    const pi = (await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body;
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 75_000 });
    const [c2b] = await getDb().select().from(mpesaC2bPayments).where(eq(mpesaC2bPayments.transId, answer.TransID));
    expect(c2b).toMatchObject({ status: 'applied', source: 'confirmation', amountMinor: 75_000, msisdn: phone });
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, c2b!.attemptId!));
    expect(attempt).toMatchObject({ psp: 'mpesa', status: 'succeeded', pspReference: answer.TransID, routingReason: 'paybill' });
    // the Pull sweep later finds nothing new to do
    expect((await reconcilePaybillByPull()).applied).toBe(0);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('an unknown account number is rejected by validation (C2B00012): no money moves', async () => {
    const { api } = await mpesaMerchant(world.app);
    await paybillSession(api, 20_000);
    const before = await utility();
    const answer = await payOnPhone(freshPhone(), 'PKNOSUCH', 200);
    expect(answer).toMatchObject({ ResultCode: 'C2B00012', status: 'rejected' });
    expect(await utility()).toBe(before);
    const rows = await getDb().select().from(pspInbox).where(eq(pspInbox.psp, 'mpesa_c2b_validation'));
    expect(rows.some((r) => r.outcome === 'rejected_C2B00012')).toBe(true);
  });

  it('a wrong amount is rejected by validation (C2B00013) and the session stays payable', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cs = await paybillSession(api, 30_000);
    const before = await utility();
    expect(await payOnPhone(freshPhone(), cs.accountNumber, 299)).toMatchObject({ ResultCode: 'C2B00013' });
    expect(await utility()).toBe(before);
    expect((await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe('requires_payment_method');
    // the right amount then pays it
    expect(await payOnPhone(freshPhone(), cs.accountNumber, 300)).toMatchObject({ ResultCode: 0 });
    await world.settle(async () => (await payStatus(cs.id)).status === 'succeeded');
  });

  it('a confirmation that never arrives: the session stays open until the Pull sweep finds the receipt and pays it', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cs = await paybillSession(api, 45_000);
    setMpesaFaults({ loseC2bConfirmation: true });
    const answer = await payOnPhone(freshPhone(), cs.accountNumber, 450);
    expect(answer).toMatchObject({ ResultCode: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await payStatus(cs.id)).status).not.toBe('succeeded');
    expect(await getDb().select().from(mpesaC2bPayments).where(eq(mpesaC2bPayments.transId, answer.TransID))).toHaveLength(0);
    setMpesaFaults(null);
    // the cron's body
    expect(await reconcilePaybillByPull()).toMatchObject({ applied: 1 });
    await world.settle(async () => (await payStatus(cs.id)).status === 'succeeded');
    const [c2b] = await getDb().select().from(mpesaC2bPayments).where(eq(mpesaC2bPayments.transId, answer.TransID));
    expect(c2b).toMatchObject({ status: 'applied', source: 'pull' });
    // a second sweep applies nothing again
    expect((await reconcilePaybillByPull()).applied).toBe(0);
    await assertPaymentInvariants(cs.payment_intent);
  });

  it('a duplicated confirmation pays the session once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cs = await paybillSession(api, 55_000);
    setMpesaFaults({ duplicate: true });
    const answer = await payOnPhone(freshPhone(), cs.accountNumber, 550);
    expect(answer).toMatchObject({ ResultCode: 0 });
    await world.settle(async () => (await payStatus(cs.id)).status === 'succeeded');
    await new Promise((r) => setTimeout(r, 300));
    const attempts = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, cs.payment_intent));
    expect(attempts.filter((a) => a.status === 'succeeded')).toHaveLength(1);
    await assertPaymentInvariants(cs.payment_intent);
  });
});
