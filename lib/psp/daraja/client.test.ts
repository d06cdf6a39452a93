import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/env';
import { createRetryPolicy, createCircuitBreaker } from '@/lib/resilience/policies';
import { handleSandboxMpesaRequest, setMpesaFaults } from '@/sandbox/mpesa';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { createDarajaClient, DarajaError, type DarajaConfig } from './client';
import { STILL_PROCESSING_ERROR_CODE } from './result-codes';
import { withDarajaResilience } from './index';

/** The Daraja adapter against the offline sandbox, over HTTP, as it talks to Safaricom. */

let sandbox: FetchServer;
let requests: { method: string; path: string; status: number; body: string }[] = [];

beforeAll(async () => {
  process.env.MPESA_SANDBOX_AUTO_ANSWER_MS = '30';
  resetEnvCache();
  sandbox = await startFetchServer(async (req) => {
    const res = await handleSandboxMpesaRequest(req);
    const body = await res.clone().text();
    requests.push({
      method: req.method,
      path: new URL(req.url).pathname.replace('/api/sandbox/mpesa', ''),
      status: res.status,
      body,
    });
    return res;
  });
});
beforeEach(() => {
  // these tests read results by STK query; callbacks have nowhere to go
  setMpesaFaults({ drop: true });
});
afterEach(() => {
  requests = [];
  setMpesaFaults(null);
  delete process.env.MPESA_SANDBOX_TOKEN_TTL_S;
});
afterAll(async () => {
  delete process.env.MPESA_SANDBOX_AUTO_ANSWER_MS;
  await sandbox.close();
});

function config(overrides: Partial<DarajaConfig> = {}): DarajaConfig {
  return {
    baseUrl: `${sandbox.url}/api/sandbox/mpesa`,
    // the install's credentials, which the offline Daraja checks (random per test file: tests/helpers/setup-database.ts)
    consumerKey: process.env.DARAJA_CONSUMER_KEY!,
    consumerSecret: process.env.DARAJA_CONSUMER_SECRET!,
    shortcode: '174379',
    passkey: process.env.DARAJA_PASSKEY!,
    timeoutMs: 5_000,
    ...overrides,
  };
}

let seq = 0;
const phone = () =>
  `2547${String(Date.now() % 100_000_000)
    .padStart(8, '0')
    .slice(0, 6)}${String(++seq % 100).padStart(2, '0')}`;
const push = (client: ReturnType<typeof createDarajaClient>, msisdn: string, amount = 10) =>
  client.stkPush({
    amount,
    phone: msisdn,
    callbackUrl: `${sandbox.url}/nowhere`,
    accountReference: 'Test shop',
    description: 'Payment',
  });

async function untilCompleted(client: ReturnType<typeof createDarajaClient>, checkoutRequestId: string) {
  for (let i = 0; i < 100; i++) {
    const answer = await client.stkQuery(checkoutRequestId);
    if (answer.state === 'completed') return answer;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('never completed');
}

async function answerOnPhone(msisdn: string, checkoutRequestId: string, body: object) {
  const res = await fetch(`${sandbox.url}/api/sandbox/mpesa/phone/${msisdn}/respond`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ checkoutRequestId, ...body }),
  });
  expect(res.status).toBe(200);
}

describe('Daraja OAuth token', () => {
  it('fetches one token with Basic base64(key:secret) and reuses it', async () => {
    const client = createDarajaClient(config());
    await push(client, phone());
    await push(client, phone(), 11);
    expect(client.tokensFetched).toBe(1);
    expect(requests.filter((r) => r.path === '/oauth/v1/generate')).toHaveLength(1);
  });

  it('refreshes the token before it expires', async () => {
    process.env.MPESA_SANDBOX_TOKEN_TTL_S = '100';
    let nowMs = Date.now();
    const client = createDarajaClient(config({ now: () => new Date(nowMs) }));
    await push(client, phone());
    nowMs += 85_000; // inside the ttl, but within the refresh margin (10% = 10 s)
    await push(client, phone(), 12);
    expect(client.tokensFetched).toBe(1);
    nowMs += 6_000; // 91 s: refresh before the 100 s expiry
    await push(client, phone(), 13);
    expect(client.tokensFetched).toBe(2);
  });

  it('a token Daraja no longer accepts is replaced once and the call goes through', async () => {
    process.env.MPESA_SANDBOX_TOKEN_TTL_S = '1';
    // the client's clock stands still: it believes the token is fresh while Daraja sees it expired
    const frozen = new Date();
    const client = createDarajaClient(config({ now: () => frozen }));
    await push(client, phone());
    expect(requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/oauth/v1/generate 200',
      '/mpesa/stkpush/v1/processrequest 200',
    ]);
    await new Promise((r) => setTimeout(r, 1_100));
    await push(client, phone(), 14);
    expect(requests.slice(2).map((r) => `${r.path} ${r.status}`)).toEqual([
      '/mpesa/stkpush/v1/processrequest 401',
      '/oauth/v1/generate 200',
      '/mpesa/stkpush/v1/processrequest 200',
    ]);
  });

  it('wrong consumer credentials are a definite rejection with Daraja’s error code', async () => {
    const client = createDarajaClient(config({ consumerSecret: 'not-the-secret' }));
    const err = await push(client, phone()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DarajaError);
    expect(err).toMatchObject({ kind: 'rejected', errorCode: '400.008.01', definite: true });
  });
});

describe('STK push and query', () => {
  it('sends Daraja’s fields, with the Password and Timestamp Daraja checks', async () => {
    const client = createDarajaClient(config());
    const accepted = await push(client, phone());
    expect(accepted.checkoutRequestId).toMatch(/^ws_CO_\d{14}\d+$/);
    expect(accepted.merchantRequestId).toMatch(/^\d+-\d+-1$/);
    const wrongPasskey = createDarajaClient(config({ passkey: 'wrong-passkey-123' }));
    await expect(push(wrongPasskey, phone())).rejects.toMatchObject({
      kind: 'rejected',
      errorCode: '400.002.02',
      definite: true,
    });
  });

  it('a query while the customer has not answered is "still processing" (500.001.1001)', async () => {
    const client = createDarajaClient(config());
    const msisdn = phone();
    const { checkoutRequestId } = await push(client, msisdn);
    expect(await client.stkQuery(checkoutRequestId)).toEqual({ state: 'processing' });
    expect(requests.at(-1)).toMatchObject({ status: 500 });
    expect(JSON.parse(requests.at(-1)!.body)).toMatchObject({ errorCode: STILL_PROCESSING_ERROR_CODE });
  });

  it.each([
    ['PIN 1234', 0, { action: 'pin', pin: '1234' }],
    ['a wrong PIN', 2001, { action: 'pin', pin: '9999' }],
    ['cancel', 1032, { action: 'cancel' }],
  ])('the phone answering with %s completes with ResultCode %i', async (_label, code, body) => {
    const client = createDarajaClient(config());
    const msisdn = phone();
    const { checkoutRequestId } = await push(client, msisdn);
    await answerOnPhone(msisdn, checkoutRequestId, body);
    expect(await untilCompleted(client, checkoutRequestId)).toMatchObject({
      state: 'completed',
      resultCode: code,
      checkoutRequestId,
    });
  });

  it.each([
    ['254700000000', 0],
    ['254700000001', 1],
    ['254700001032', 1032],
    ['254700001037', 1037],
    ['254700002001', 2001],
    ['254700001019', 1019],
  ])('test number %s completes by itself with ResultCode %i', async (msisdn, code) => {
    const client = createDarajaClient(config());
    const { checkoutRequestId } = await push(client, msisdn, 100 + code + (Date.now() % 1000));
    expect(await untilCompleted(client, checkoutRequestId)).toMatchObject({ resultCode: code });
  });

  it('the same amount to the same phone within 2 minutes completes with ResultCode 17', async () => {
    const client = createDarajaClient(config());
    const msisdn = phone();
    await push(client, msisdn, 500);
    const second = await push(client, msisdn, 500);
    expect(await untilCompleted(client, second.checkoutRequestId)).toMatchObject({ resultCode: 17, resultDesc: 'Rule limited.' });
  });

  it('an unknown CheckoutRequestID is a definite rejection', async () => {
    const client = createDarajaClient(config());
    await expect(client.stkQuery('ws_CO_000')).rejects.toMatchObject({ kind: 'rejected', httpStatus: 400 });
  });

  it('amounts and phone numbers Daraja would refuse are refused', async () => {
    const client = createDarajaClient(config());
    await expect(push(client, '254812345678')).rejects.toMatchObject({ errorCode: '400.002.02' });
    await expect(push(client, phone(), 0)).rejects.toMatchObject({ errorCode: '400.002.02' });
    await expect(push(client, phone(), 1.5)).rejects.toMatchObject({ errorCode: '400.002.02' });
  });
});

describe('spike arrest', () => {
  const policies = () => ({
    push: createRetryPolicy({
      strategy: 'exponential',
      maxRetries: 3,
      baseDelayMs: 20,
      maxDelayMs: 100,
      totalTimeoutMs: 10_000,
      isTransient: (e) => e instanceof DarajaError && e.isSpikeArrest,
    }),
    query: createRetryPolicy({
      strategy: 'exponential',
      maxRetries: 1,
      baseDelayMs: 10,
      maxDelayMs: 10,
      totalTimeoutMs: 5_000,
      isTransient: () => false,
    }),
    breaker: createCircuitBreaker({ failureThreshold: 50, halfOpenAfterMs: 1_000, isFailure: () => false }),
  });
  const pushes = () => requests.filter((r) => r.path === '/mpesa/stkpush/v1/processrequest');

  it('a 429 (500.003.02) is retried with backoff and then accepted', async () => {
    setMpesaFaults({ drop: true, spikeArrestNext: 2 });
    const client = withDarajaResilience(createDarajaClient(config()), policies());
    const accepted = await push(client as ReturnType<typeof createDarajaClient>, phone());
    expect(accepted.checkoutRequestId).toMatch(/^ws_CO_/);
    expect(pushes().map((r) => r.status)).toEqual([429, 429, 200]);
    expect(JSON.parse(pushes()[0]!.body)).toMatchObject({ errorCode: '500.003.02' });
  });

  it('a lasting spike arrest gives up after the retries with a clear, definite error', async () => {
    setMpesaFaults({ drop: true, spikeArrest: true });
    const client = withDarajaResilience(createDarajaClient(config()), policies());
    const err = await push(client as ReturnType<typeof createDarajaClient>, phone()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DarajaError);
    expect(err).toMatchObject({ isSpikeArrest: true, definite: true, httpStatus: 429 });
    expect((err as Error).message).toMatch(/spike arrest/);
    expect(pushes()).toHaveLength(4);
  });
});
