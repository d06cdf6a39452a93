import { describe, expect, it } from 'vitest';
import {
  b2cRequest,
  type Daraja,
  type InitiatorFields,
  type MerchantServer,
  resultFor,
  sleep,
  setUpDarajaSandbox,
} from '../helpers/daraja-sandbox';

/**
 * The sandbox's switchable faults, set over HTTP (POST /faults with an access token) as an
 * operator would, on the asynchronous Results: lost, duplicated, delayed, out of order, and queue
 * timeouts (QueueTimeOutURL instead of ResultURL, nothing processed).
 */

let daraja: Daraja;
let merchant: MerchantServer;
let fields: InitiatorFields;
setUpDarajaSandbox(
  { env: { MPESA_SANDBOX_RESULT_DELAY_MS: '10', MPESA_SANDBOX_REORDER_HOLD_MS: '1500' }, initiator: true, fundShillings: 10000 },
  (s) => ({ daraja, merchant, fields } = s),
);

async function faults(body: Record<string, unknown>) {
  const res = await daraja.post('faults', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const utility = async () => Number((await daraja.portal()).balances.utility);
const resultsOf = (conversationId: string) =>
  merchant.on('/result').filter((r) => r.body.Result.ConversationID === conversationId);

async function payout(amount: number) {
  const ack = await daraja.post('mpesa/b2c/v3/paymentrequest', b2cRequest(fields, daraja.shortcode, { Amount: amount }));
  expect(ack.status).toBe(200);
  return ack.body as { ConversationID: string; OriginatorConversationID: string };
}

describe('faults', () => {
  it('the faults endpoint needs an access token and reports the whole set', async () => {
    expect((await daraja.post('faults', { drop: true }, null)).status).toBe(401);
    expect(await faults({ queueTimeoutNext: 2, outOfOrder: true })).toMatchObject({
      object: 'mpesa_faults',
      drop: false,
      duplicate: false,
      outOfOrder: true,
      queueTimeout: false,
      queueTimeoutNext: 2,
      loseC2bConfirmation: false,
    });
  });

  it('drop: the Result is lost but the payout happened', async () => {
    await faults({ drop: true });
    const before = await utility();
    const ack = await payout(30);
    await sleep(200);
    expect(resultsOf(ack.ConversationID)).toHaveLength(0);
    expect(await utility()).toBe(before - 30);
  });

  it('duplicate: the same Result arrives twice, byte for byte, and the money moved once', async () => {
    await faults({ duplicate: true });
    const before = await utility();
    const ack = await payout(40);
    await expect.poll(() => resultsOf(ack.ConversationID).length).toBe(2);
    const [a, b] = resultsOf(ack.ConversationID);
    expect(a!.raw).toBe(b!.raw);
    expect(await utility()).toBe(before - 40);
  });

  it('delay: the Result waits the configured time', async () => {
    await faults({ delayMs: 400 });
    const sent = Date.now();
    const ack = await payout(10);
    await resultFor(merchant, ack.ConversationID);
    expect(resultsOf(ack.ConversationID)[0]!.at - sent).toBeGreaterThanOrEqual(400);
  });

  it('out of order: a later Result arrives before an earlier one', async () => {
    await faults({ outOfOrder: true });
    const first = await payout(11);
    await sleep(100);
    const second = await payout(12);
    const [r1, r2] = [await resultFor(merchant, first.ConversationID), await resultFor(merchant, second.ConversationID)];
    expect(r1.ResultCode).toBe(0);
    expect(r2.ResultCode).toBe(0);
    expect(resultsOf(second.ConversationID)[0]!.at).toBeLessThanOrEqual(resultsOf(first.ConversationID)[0]!.at);
    expect(merchant.received.indexOf(resultsOf(second.ConversationID)[0]!)).toBeLessThan(
      merchant.received.indexOf(resultsOf(first.ConversationID)[0]!),
    );
  });

  it('out of order: a lone Result is still delivered after the hold time', async () => {
    await faults({ outOfOrder: true });
    const sent = Date.now();
    const ack = await payout(13);
    await resultFor(merchant, ack.ConversationID, '/result', 5_000);
    expect(resultsOf(ack.ConversationID)[0]!.at - sent).toBeGreaterThanOrEqual(1_400);
  });

  it('queue timeout: QueueTimeOutURL is called instead of ResultURL, and nothing was processed', async () => {
    await faults({ queueTimeoutNext: 1 });
    const before = await utility();
    const ack = await payout(50);
    const timeout = await resultFor(merchant, ack.ConversationID, '/timeout');
    expect(timeout).toMatchObject({
      ResultType: 1,
      OriginatorConversationID: ack.OriginatorConversationID,
      ConversationID: ack.ConversationID,
    });
    await sleep(100);
    expect(resultsOf(ack.ConversationID)).toHaveLength(0);
    expect(await utility()).toBe(before);
    // the countdown is spent: the next request is processed
    const next = await payout(50);
    expect((await resultFor(merchant, next.ConversationID)).ResultCode).toBe(0);
    expect(await utility()).toBe(before - 50);
  });

  it('queue timeout: Transaction Status does not find a request that timed out in the queue', async () => {
    await faults({ queueTimeout: true });
    const body = b2cRequest(fields, daraja.shortcode, { Amount: 15 });
    const ack = await daraja.post('mpesa/b2c/v3/paymentrequest', body);
    await resultFor(merchant, ack.body.ConversationID, '/timeout');
    await faults({});
    const status = await daraja.post('mpesa/transactionstatus/v1/query', {
      Initiator: fields.initiator,
      SecurityCredential: fields.SecurityCredential,
      CommandID: 'TransactionStatusQuery',
      OriginalConversationID: body.OriginatorConversationID,
      PartyA: daraja.shortcode,
      IdentifierType: '4',
      ResultURL: fields.ResultURL,
      QueueTimeOutURL: fields.QueueTimeOutURL,
      Remarks: 'status',
    });
    expect((await resultFor(merchant, status.body.ConversationID)).ResultCode).toBe(404);
  });

  it('the environment sets the faults too (MPESA_SANDBOX_FAULTS words)', async () => {
    const { parseMpesaFaults } = await import('@/sandbox/mpesa/faults');
    expect(parseMpesaFaults('drop, duplicate ,delay:250,reorder,queue-timeout:3,lose-confirmation')).toEqual({
      drop: true,
      duplicate: true,
      delayMs: 250,
      spikeArrest: false,
      spikeArrestNext: 0,
      outOfOrder: true,
      queueTimeout: false,
      queueTimeoutNext: 3,
      loseC2bConfirmation: true,
    });
  });
});
