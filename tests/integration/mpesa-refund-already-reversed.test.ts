import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaPayments, mpesaRefunds, refunds } from '@/db/schema';
import { darajaC2bUrls, ensureC2bRegistered, getDaraja } from '@/lib/psp/daraja';
import { initiatorFields, resultFor, startMerchantServer, type MerchantServer } from '../helpers/daraja-sandbox';
import { assertPaymentInvariants } from '../helpers/invariants';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { mpesaMerchant, paidByMpesa, startMpesaWorld, type MpesaWorld } from '../helpers/mpesa-flow';

/**
 * A full M-Pesa refund whose first Reversal was processed by Daraja but whose acknowledgement
 * never reached us: the repeat is answered R000001 (already reversed). The refund must succeed
 * with the receipt of the reversal that really happened (found in Daraja's record), never
 * "succeeded" with no receipt, and the payer is paid back once. The lost first request is made
 * by the test over HTTP at the offline Daraja (its answer goes to another server, as lost).
 */

let world: MpesaWorld;
let lost: MerchantServer;

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
  lost = await startMerchantServer();
  // what app start does: our C2B URLs and Pull Transactions registered for the shortcode
  await ensureC2bRegistered(getDaraja(), darajaC2bUrls(), true);
});
afterAll(async () => {
  await lost.close();
  await world.close();
});

describe('a reversal repeated after its acknowledgement was lost', () => {
  it('R000001 is settled with the real reversal receipt, and the payer is paid back once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidByMpesa(world, api, 80_000);
    await paidByMpesa(world, api, 60_000); // the merchant's balance covers the refund
    await world.settle(async () => {
      const b = (await api.get('/api/v1/balance')).body;
      const kes = [...b.pending, ...b.available].filter((x: { currency: string }) => x.currency === 'kes').reduce((n: number, x: { amount: number }) => n + x.amount, 0);
      return kes > 80_000;
    });
    const [payment] = await getDb().select().from(mpesaPayments).where(eq(mpesaPayments.checkoutRequestId, paid.checkoutRequestId));
    const receipt = payment!.receiptNumber!;

    // the first Reversal: processed by M-Pesa, its answers never seen by paykit
    const fields = await initiatorFields(world.daraja, lost);
    const ack = await world.daraja.post('mpesa/reversal/v1/request', {
      Initiator: fields.initiator,
      SecurityCredential: fields.SecurityCredential,
      CommandID: 'TransactionReversal',
      TransactionID: receipt,
      Amount: 800,
      ReceiverParty: world.daraja.shortcode,
      RecieverIdentifierType: '11',
      ResultURL: fields.ResultURL,
      QueueTimeOutURL: fields.QueueTimeOutURL,
      Remarks: 'Refund',
      Occasion: 'lost',
    });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    const first = await resultFor(lost, ack.body.ConversationID);
    expect(first.ResultCode).toBe(0);
    const reversalReceipt = first.TransactionID as string;
    const utilityAfterReversal = Number((await world.daraja.portal()).balances.utility);

    const created = await api.post('/api/v1/refunds', { payment_intent: paid.paymentIntentId });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const done = await world.settle(async () => {
      const r = (await api.get(`/api/v1/refunds/${created.body.id}`)).body;
      return r.status === 'pending' ? undefined : r;
    });
    expect(done).toMatchObject({ status: 'succeeded', amount: 80_000 });
    const [row] = await getDb().select().from(refunds).where(eq(refunds.id, created.body.id));
    const [mpesa] = await getDb().select().from(mpesaRefunds).where(eq(mpesaRefunds.refundKey, row!.pspIdempotencyKey));
    expect(mpesa).toMatchObject({ kind: 'reversal', resultCode: 'R000001', outcome: 'succeeded', receiptNumber: reversalReceipt, originalReceipt: receipt });
    expect(row!.pspReference).toBe(reversalReceipt);
    expect(done.destination_details).toMatchObject({ mpesa: { reference: reversalReceipt } });
    // M-Pesa moved the money once
    expect(Number((await world.daraja.portal()).balances.utility)).toBe(utilityAfterReversal);
    await assertPaymentInvariants(paid.paymentIntentId);
    await assertLedgerInvariants();
  });
});
