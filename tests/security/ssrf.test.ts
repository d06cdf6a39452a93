import { and, count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { webhookAttempts, webhookEndpoints } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { attemptDelivery, fanOutEvent } from '@/lib/webhooks/deliveries';
import { outboxEvents } from '@/db/schema';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// Attack: a merchant (or anyone holding a secret key) registers a webhook URL that points inside
// our network (loopback, private ranges, the cloud metadata service) and reads the answer back
// from the delivery log. Webhook URLs must be public: refused at creation, and again at delivery
// after DNS resolution (a name can resolve to a public address at creation and to 127.0.0.1
// later), and redirects are never followed. WEBHOOK_ALLOW_PRIVATE_URLS (set by `npm start` for the
// demo) is the only way to allow internal targets; these tests switch it on and off explicitly.

let app: TestApp;
const servers: FetchServer[] = [];

function setAllowPrivate(on: boolean): void {
  if (on) process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  else delete process.env.WEBHOOK_ALLOW_PRIVATE_URLS;
  resetEnvCache();
}

beforeAll(async () => {
  setAllowPrivate(false);
  app = await startTestApp();
});
afterEach(async () => {
  setAllowPrivate(false);
  while (servers.length) await servers.pop()!.close();
});
afterAll(async () => {
  setAllowPrivate(false);
  await app.close();
});

/** A local HTTP server that counts the requests it receives. */
async function countingServer(respond: () => Response = () => new Response('internal secret')) {
  const hits: string[] = [];
  const server = await startFetchServer((req) => {
    hits.push(new URL(req.url).pathname);
    return respond();
  });
  servers.push(server);
  return { url: server.url, hits };
}

const INTERNAL_URLS = [
  'http://127.0.0.1/hooks',
  'http://127.0.0.1:5432/',
  'http://127.1/',
  'http://2130706433/', // 127.0.0.1 as one decimal number
  'http://0x7f000001/', // hex
  'http://0177.0.0.1/', // octal
  'http://0x7f.1/',
  'http://localhost/hooks',
  'http://LOCALHOST:3000/',
  'http://api.localhost/',
  'http://0.0.0.0/',
  'http://0/',
  'http://10.0.0.5/',
  'http://172.16.3.4/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/', // cloud metadata service
  'http://169.254.0.1/',
  'http://100.64.0.1/', // carrier-grade NAT
  'http://224.0.0.1/', // multicast
  'http://255.255.255.255/',
  'http://[::1]/',
  'http://[::]/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://[fe80::1]/',
  'http://[ff02::1]/',
  'http://[::ffff:127.0.0.1]/', // IPv4-mapped IPv6
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a00:1]/', // ::ffff:10.0.0.1 in hex
  'http://[64:ff9b::7f00:1]/', // NAT64 form of 127.0.0.1
  'https://127.0.0.1:8443/hooks',
];

describe('creating a webhook endpoint', () => {
  it(`refuses ${INTERNAL_URLS.length} internal URLs with 400 naming url, and stores nothing`, async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    const accepted: string[] = [];
    for (const url of INTERNAL_URLS) {
      const res = await api.post('/api/v1/webhook_endpoints', { url, enabled_events: ['*'] });
      const e = res.body.error;
      const refused = res.status === 400 && e?.code === 'parameter_invalid' && e.param === 'url' && /not a public address/i.test(e.message);
      if (!refused) accepted.push(`${url} -> ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(accepted).toEqual([]);
    const [stored] = await getDb().select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, m.merchant.id));
    expect(stored!.n).toBe(0);
  });

  it('accepts public addresses and names that do not resolve yet (delivery checks again)', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    for (const url of ['https://8.8.8.8/hooks', 'https://[2606:4700:4700::1111]/hooks', 'https://merchant.example/hooks']) {
      const res = await api.post('/api/v1/webhook_endpoints', { url, enabled_events: ['*'] });
      expect(res.status, url).toBe(200);
    }
  });

  it('accepts internal URLs only with WEBHOOK_ALLOW_PRIVATE_URLS', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    setAllowPrivate(true);
    expect((await api.post('/api/v1/webhook_endpoints', { url: 'http://127.0.0.1:9/hooks', enabled_events: ['*'] })).status).toBe(200);
  });
});

/** An endpoint (created while internal targets were allowed) and a pending delivery to it. */
async function endpointWithDelivery(url: string) {
  const m = await createTestMerchant();
  const api = apiClient(app, m.secretKey);
  setAllowPrivate(true);
  const endpoint = await api.post('/api/v1/webhook_endpoints', { url, enabled_events: ['*'] });
  expect(endpoint.status).toBe(200);
  setAllowPrivate(false);
  const pi = await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' });
  const [event] = await getDb().select().from(outboxEvents).where(and(eq(outboxEvents.aggregateId, pi.body.id), eq(outboxEvents.type, 'payment_intent.created')));
  const [deliveryId] = await fanOutEvent(event!.id);
  return { deliveryId: deliveryId!, endpointId: endpoint.body.id as string };
}

async function attemptsOf(deliveryId: string) {
  return getDb().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId));
}

describe('delivering a webhook', () => {
  it('checks the address again at connect time: an internal target gets no connection and the attempt fails with the reason', async () => {
    const internal = await countingServer();
    const port = new URL(internal.url).port;
    for (const url of [`${internal.url}/hooks`, `http://localhost:${port}/hooks`, `http://[::ffff:127.0.0.1]:${port}/hooks`]) {
      const { deliveryId } = await endpointWithDelivery(url);
      const result = await attemptDelivery(deliveryId, 'manual');
      expect(result).toMatchObject({ attempted: true, delivered: false, statusCode: null });
      const [attempt] = await attemptsOf(deliveryId);
      expect(attempt).toMatchObject({ statusCode: null, responseExcerpt: null });
      expect(attempt!.error, url).toMatch(/not a public address|internal|private/i);
    }
    expect(internal.hits).toEqual([]);
  });

  it('does not follow a redirect (even when internal targets are allowed): a 3xx is a failed attempt', async () => {
    const target = await countingServer();
    const redirector = await countingServer(() => new Response(null, { status: 302, headers: { location: `${target.url}/latest/meta-data/` } }));
    const { deliveryId } = await endpointWithDelivery(`${redirector.url}/hooks`);
    setAllowPrivate(true);
    const result = await attemptDelivery(deliveryId, 'manual');
    expect(result).toMatchObject({ attempted: true, delivered: false, statusCode: 302 });
    expect(redirector.hits).toEqual(['/hooks']);
    expect(target.hits).toEqual([]);
    const [attempt] = await attemptsOf(deliveryId);
    expect(attempt).toMatchObject({ statusCode: 302 });
    expect(attempt!.error).toMatch(/redirect/i);
  });

  it('records an answer holding NUL bytes (as U+FFFD) instead of failing to store the attempt', async () => {
    const receiver = await countingServer(() => new Response('ok\u0000done'));
    const { deliveryId } = await endpointWithDelivery(`${receiver.url}/hooks`);
    setAllowPrivate(true);
    expect(await attemptDelivery(deliveryId, 'manual')).toMatchObject({ delivered: true, statusCode: 200 });
    const [attempt] = await attemptsOf(deliveryId);
    expect(attempt!.responseExcerpt).toBe('ok\ufffddone');
  });

  it('delivers to a local receiver when internal targets are allowed (the demo setting)', async () => {
    const receiver = await countingServer(() => new Response('ok'));
    const { deliveryId } = await endpointWithDelivery(`${receiver.url}/hooks`);
    setAllowPrivate(true);
    expect(await attemptDelivery(deliveryId, 'manual')).toMatchObject({ delivered: true, statusCode: 200 });
    expect(receiver.hits).toEqual(['/hooks']);
  });
});
