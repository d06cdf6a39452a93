import { and, eq, like } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaRefunds, outboxEvents, pspInbox, refunds } from '@/db/schema';
import { darajaCallbackToken } from '@/lib/psp/daraja';
import { sendRefundToPsp } from '@/lib/refunds';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { b2cRequest, initiatorFields, resultFor, startMerchantServer, type MerchantServer } from '../helpers/daraja-sandbox';
import { assertPaymentInvariants } from '../helpers/invariants';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { mpesaMerchant, paidByMpesa, phoneState, startMpesaWorld, type MpesaWorld } from '../helpers/mpesa-flow';

/**
 * M-Pesa refunds end to end over HTTP: POST /api/v1/refunds -> the Daraja adapter -> Reversal
 * (full) or B2C BusinessPayment (partial) at the offline Daraja -> its Result at our ResultURL ->
 * the inbox -> a Transaction Status query -> its Result -> the refund and the ledger. Faults of
 * the sandbox lose, duplicate and time out Results; the business account runs dry.
 */

let world: MpesaWorld;
let outsider: MerchantServer;

beforeAll(async () => {
  world = await startMpesaWorld({
    MPESA_SANDBOX_AUTO_ANSWER_MS: '150',
    MPESA_SANDBOX_RESULT_DELAY_MS: '50',
    PAYMENT_CALLBACK_TIMEOUT_MS: '400',
    PAYMENT_QUERY_BACKOFF_MS: '200',
    DARAJA_RETRY_BASE_MS: '20',
    DARAJA_RETRY_MAX_DELAY_MS: '50',
    DARAJA_RESULT_WAIT_MS: '300',
  });
  outsider = await startMerchantServer();
});
afterEach(() => setMpesaFaults(null));
afterAll(async () => {
  await outsider.close();
  await world.close();
});

type Api = Awaited<ReturnType<typeof mpesaMerchant>>['api'];

async function refund(api: Api, paymentIntent: string, amount?: number) {
  const res = await api.post('/api/v1/refunds', { payment_intent: paymentIntent, ...(amount ? { amount } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toMatchObject({ object: 'refund', status: 'pending' });
  return res.body as { id: string; amount: number };
}

const settledRefund = (api: Api, id: string) =>
  world.settle(async () => {
    const r = (await api.get(`/api/v1/refunds/${id}`)).body;
    return r.status === 'pending' ? undefined : r;
  });

async function refundRow(id: string) {
  const [r] = await getDb().select().from(refunds).where(eq(refunds.id, id));
  const [m] = await getDb().select().from(mpesaRefunds).where(eq(mpesaRefunds.refundKey, r!.pspIdempotencyKey));
  return { refund: r!, mpesa: m! };
}

async function kesBalance(api: Api): Promise<number> {
  const b = (await api.get('/api/v1/balance')).body;
  return [...b.pending, ...b.available]
    .filter((x: { currency: string }) => x.currency === 'kes')
    .reduce((sum: number, x: { amount: number }) => sum + x.amount, 0);
}

/** Balance booked once the capture is on the books (the ledger posts it in the background). */
const bookedBalance = (api: Api) => world.settle(async () => ((await kesBalance(api)) > 0 ? kesBalance(api) : undefined));

const eventsOf = (aggregateId: string, type: string) =>
  getDb()
    .select()
    .from(outboxEvents)
    .where(and(eq(outboxEvents.aggregateId, aggregateId), eq(outboxEvents.type, type)))
    .orderBy(outboxEvents.seq);

/** Pays the whole Utility account out by B2C (the test's own Daraja call), so the next payout is short. */
async function drainUtilityAccount() {
  const portal = await world.daraja.portal();
  const cents = Math.round(Number(portal.balances.utility) * 100);
  if (cents < 1_000) return;
  const fields = await initiatorFields(world.daraja, outsider);
  const ack = await world.daraja.post(
    'mpesa/b2c/v3/paymentrequest',
    b2cRequest(fields, world.daraja.shortcode, { Amount: Math.floor(cents / 100), PartyB: '254708374149' }),
  );
  expect(ack.status, JSON.stringify(ack.body)).toBe(200);
  expect((await resultFor(outsider, ack.body.ConversationID)).ResultCode).toBe(0);
}

describe('M-Pesa refunds', () => {
  it('a full refund reverses the receipt: pending until the Result is confirmed by Transaction Status, then succeeded with the reversal receipt', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 150_000);
    // a second sale, so the merchant's balance (net of fees) covers the whole refund
    await paidByMpesa(world, api, 60_000);
    const before = await world.settle(async () => ((await kesBalance(api)) > 150_000 ? kesBalance(api) : undefined));

    const created = await refund(api, paid.paymentIntentId);
    expect(created.amount).toBe(150_000);
    const done = await settledRefund(api, created.id);
    expect(done).toMatchObject({ status: 'succeeded', amount: 150_000, failure_reason: null });

    const { refund: row, mpesa } = await refundRow(created.id);
    expect(mpesa).toMatchObject({ kind: 'reversal', outcome: 'succeeded', resultCode: '0' });
    expect(mpesa.statusConversationId).toBeTruthy();
    expect(mpesa.receiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    expect(row.pspReference).toBe(mpesa.receiptNumber);
    // the API's refund names the reversal's receipt, as the customer's SMS does
    expect(done.destination_details).toEqual({ type: 'mpesa', mpesa: { reference: mpesa.receiptNumber, reference_status: 'available', reference_type: 'mpesa_receipt' } });
    // the customer's phone got the reversal SMS naming the original receipt
    const sms = (await phoneState(world.app, paid.phone)).messages.map((m) => m.body);
    expect(sms.some((b) => b.includes(mpesa.receiptNumber!) && b.includes(mpesa.originalReceipt!) && /reversed/.test(b))).toBe(true);
    // the Result (a hint) is on the refund's timeline before the outcome; Stripe's refund.updated
    // then announces the status change itself
    const updates = (await eventsOf(created.id, 'refund.updated')).map((e) => e.data as { psp_notice?: unknown; previous_attributes?: { status?: string } });
    expect(updates).toHaveLength(2);
    expect(updates[0]?.psp_notice).toBeTruthy();
    expect(updates[1]?.previous_attributes?.status).toBe('pending');
    expect(await eventsOf(created.id, 'refund.succeeded')).toHaveLength(1);
    await world.settle(async () => ((await kesBalance(api)) === before - 150_000 ? true : undefined));
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });

  it('a partial refund pays the payer back by B2C, and the phone shows the money coming back', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 200_000);
    await paidByMpesa(world, api, 60_000);
    await world.settle(async () => ((await kesBalance(api)) > 200_000 ? true : undefined));
    const created = await refund(api, paid.paymentIntentId, 50_000);
    const done = await settledRefund(api, created.id);
    expect(done).toMatchObject({ status: 'succeeded', amount: 50_000 });
    const { mpesa } = await refundRow(created.id);
    expect(mpesa).toMatchObject({ kind: 'b2c', outcome: 'succeeded', phone: paid.phone });
    const sms = (await phoneState(world.app, paid.phone)).messages.map((m) => m.body);
    expect(sms.some((b) => b.startsWith(mpesa.receiptNumber!) && /received Ksh ?500\.00/i.test(b))).toBe(true);

    // the rest can be refunded too, again by B2C (the receipt is no longer whole)
    const rest = await refund(api, paid.paymentIntentId);
    expect(rest.amount).toBe(150_000);
    expect(await settledRefund(api, rest.id)).toMatchObject({ status: 'succeeded' });
    expect((await refundRow(rest.id)).mpesa.kind).toBe('b2c');
    // nothing more to refund
    const more = await api.post('/api/v1/refunds', { payment_intent: paid.paymentIntentId });
    expect(more.status).toBe(400);
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });

  it('a lost Result: the refund stays pending until the safety net asks Transaction Status, which settles it', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 120_000);
    await bookedBalance(api);
    setMpesaFaults({ drop: true });
    const created = await refund(api, paid.paymentIntentId, 20_000);
    // Daraja paid (the phone has the SMS) but its Result never arrived
    await world.settle(async () => ((await phoneState(world.app, paid.phone)).messages.some((m) => /received Ksh ?200\.00/i.test(m.body)) ? true : undefined));
    await new Promise((r) => setTimeout(r, 400));
    expect((await api.get(`/api/v1/refunds/${created.id}`)).body.status).toBe('pending');
    expect((await refundRow(created.id)).mpesa.resultCode).toBeNull();
    setMpesaFaults(null);
    // the retry sweep's body (retry-pending-refunds): the refund is not sent again, its status is asked
    expect((await sendRefundToPsp(created.id)).status).toBe('pending');
    const done = await settledRefund(api, created.id);
    expect(done).toMatchObject({ status: 'succeeded' });
    const { mpesa } = await refundRow(created.id);
    expect(mpesa.receiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    // paid once: one payout SMS
    const payouts = (await phoneState(world.app, paid.phone)).messages.filter((m) => /received Ksh ?200\.00/i.test(m.body));
    expect(payouts).toHaveLength(1);
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });

  it('duplicated Results: stored once, applied once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 110_000);
    await bookedBalance(api);
    setMpesaFaults({ duplicate: true });
    const created = await refund(api, paid.paymentIntentId, 30_000);
    expect(await settledRefund(api, created.id)).toMatchObject({ status: 'succeeded' });
    const { mpesa } = await refundRow(created.id);
    // each Result came twice, byte for byte: one inbox row each
    await new Promise((r) => setTimeout(r, 300));
    const rows = await getDb().select().from(pspInbox).where(like(pspInbox.pspEventId, `result:${mpesa.conversationId}:%`));
    expect(rows).toHaveLength(1);
    expect(await eventsOf(created.id, 'refund.succeeded')).toHaveLength(1);
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });

  it('a queue timeout: Transaction Status finds nothing, so the refund fails and the reservation is released', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 90_000);
    const before = await bookedBalance(api);
    setMpesaFaults({ queueTimeoutNext: 1 });
    const created = await refund(api, paid.paymentIntentId, 40_000);
    const done = await settledRefund(api, created.id);
    expect(done).toMatchObject({ status: 'failed', failure_reason: expect.stringMatching(/timed out.*nothing was paid/) });
    expect((await refundRow(created.id)).mpesa.queueTimedOutAt).not.toBeNull();
    await world.settle(async () => ((await kesBalance(api)) === before ? true : undefined));
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });

  it('the business account is short for the B2C: the refund fails, the merchant is told why, and the reservation is released', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 80_000);
    const before = await bookedBalance(api);
    await drainUtilityAccount();
    const created = await refund(api, paid.paymentIntentId, 30_000);
    const done = await settledRefund(api, created.id);
    expect(done).toMatchObject({ status: 'failed', failure_reason: expect.stringMatching(/too little money/) });
    expect((await refundRow(created.id)).mpesa).toMatchObject({ resultCode: '1', outcome: 'failed' });
    expect(await eventsOf(created.id, 'refund.failed')).toHaveLength(1);
    // the merchant's balance is whole again and the amount can be refunded later
    await world.settle(async () => ((await kesBalance(api)) === before ? true : undefined));
    expect((await phoneState(world.app, paid.phone)).messages.some((m) => /received Ksh ?300\.00/i.test(m.body))).toBe(false);
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });

  it('refuses, before anything is reserved, a refund with cents or a partial one under KES 10', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 70_000);
    await bookedBalance(api);
    const cents = await api.post('/api/v1/refunds', { payment_intent: paid.paymentIntentId, amount: 10_050 });
    expect(cents.status).toBe(400);
    expect(cents.body.error).toMatchObject({ code: 'parameter_invalid', param: 'amount', message: expect.stringMatching(/whole shillings/) });
    const small = await api.post('/api/v1/refunds', { payment_intent: paid.paymentIntentId, amount: 500 });
    expect(small.status).toBe(400);
    expect(small.body.error).toMatchObject({ code: 'amount_too_small', param: 'amount' });
    expect(await getDb().select().from(refunds).where(eq(refunds.paymentIntentId, paid.paymentIntentId))).toHaveLength(0);
  });

  it('forged Results move nothing: a wrong token is a 404, unknown ids match nothing, and a forged success is not confirmed by Transaction Status', async () => {
    const post = (token: string, body: unknown) =>
      fetch(`${world.app.url}/api/psp/daraja/result/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const forged = (ids: { originator: string; conversation: string }) => ({
      Result: {
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        OriginatorConversationID: ids.originator,
        ConversationID: ids.conversation,
        TransactionID: 'FAKE000001',
        ResultParameters: { ResultParameter: [{ Key: 'TransactionStatus', Value: 'Completed' }, { Key: 'Amount', Value: 100 }] },
      },
    });
    expect((await post('not-the-token-000000', forged({ originator: 'x', conversation: 'y' }))).status).toBe(404);
    const stray = await post(darajaCallbackToken(), forged({ originator: 'nobody', conversation: 'AG_nobody' }));
    expect(stray.status).toBe(200);

    // a payout Daraja never processed (queue timeout, whose notice is lost too): a forged success for its real ids
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 100_000);
    await bookedBalance(api);
    setMpesaFaults({ queueTimeoutNext: 1, drop: true });
    const created = await refund(api, paid.paymentIntentId, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    setMpesaFaults(null);
    const { mpesa } = await refundRow(created.id);
    expect((await post(darajaCallbackToken(), forged({ originator: mpesa.originatorConversationId!, conversation: mpesa.conversationId! }))).status).toBe(200);
    // processed: the claim is recorded and Transaction Status asked; Daraja answers "not found"
    const asked = await world.settle(async () => {
      const row = (await refundRow(created.id)).mpesa;
      if (!row.statusConversationId) return undefined;
      const [status] = await getDb().select().from(pspInbox).where(like(pspInbox.pspEventId, `result:${row.statusConversationId}:%`));
      return status?.processedAt ? status : undefined;
    });
    expect(asked.outcome).toBe('unconfirmed');
    expect((await api.get(`/api/v1/refunds/${created.id}`)).body.status).toBe('pending');
    expect((await refundRow(created.id)).mpesa.outcome).toBeNull();
    expect((await phoneState(world.app, paid.phone)).messages.some((m) => /received Ksh ?100\.00/i.test(m.body))).toBe(false);
  });
});
