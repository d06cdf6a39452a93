import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineFunctions } from '@/inngest';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { STRIPE_API_VERSION } from '@/lib/http/api';
import { startHarness, type Harness } from '../helpers/engine-harness';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { createTestMerchant } from '../helpers/test-app';
import { startStripeApp, type StripeApp } from './stripe-app';

let s: StripeApp;
let harness: Harness | undefined;
const servers: FetchServer[] = [];

beforeAll(async () => {
  process.env.WEBHOOK_RETRY_DELAYS_MS = '200,200,200';
  // the receiver is a local server (SSRF protection refuses internal URLs otherwise)
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  s = await startStripeApp();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  while (servers.length) await servers.pop()!.close();
});
afterAll(async () => {
  delete process.env.WEBHOOK_RETRY_DELAYS_MS;
  delete process.env.WEBHOOK_ALLOW_PRIVATE_URLS;
  await s.close();
});

interface Delivery {
  body: string;
  stripeSignature: string | null;
  paySignature: string | null;
}

/** A merchant's webhook receiver, as an Express app using the Stripe SDK would be: raw body kept for verification. */
async function receiver() {
  const received: Delivery[] = [];
  const server = await startFetchServer(async (req) => {
    received.push({ body: await req.text(), stripeSignature: req.headers.get('stripe-signature'), paySignature: req.headers.get('pay-signature') });
    return new Response('ok');
  });
  servers.push(server);
  return { url: `${server.url}/stripe/webhooks`, received };
}

async function relay() {
  const h = harness!;
  while ((await relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined))) > 0);
}

async function paidPayment(stripe: Stripe, idempotencyKey?: string) {
  const pi = await stripe.paymentIntents.create({ amount: 4200, currency: 'eur', metadata: { order: 'A-42' } });
  const confirmed = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }, idempotencyKey ? { idempotencyKey } : {});
  expect(confirmed.status).toBe('succeeded');
  return confirmed;
}

describe('webhook deliveries, verified with the official SDK', () => {
  it('constructEvent verifies a real delivery, and the event carries Stripe’s fields and the request that caused it', async () => {
    harness = await startHarness((client) => defineFunctions(client));
    const hooks = await receiver();
    const endpoint = await s.stripe.webhookEndpoints.create({ url: hooks.url, enabled_events: ['payment_intent.succeeded'], metadata: { team: 'shop' } });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ object: 'webhook_endpoint', status: 'enabled', metadata: { team: 'shop' }, api_version: STRIPE_API_VERSION, livemode: false });

    const confirmed = await paidPayment(s.stripe, 'order-A-42-confirm');
    await relay();
    await harness.waitFor(async () => (hooks.received.length >= 1 ? true : undefined), 15_000);

    const [delivery] = hooks.received;
    expect(delivery!.stripeSignature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery!.paySignature).toBe(delivery!.stripeSignature);
    const event = s.stripe.webhooks.constructEvent(delivery!.body, delivery!.stripeSignature!, endpoint.secret!);
    expect(event).toMatchObject({
      object: 'event',
      type: 'payment_intent.succeeded',
      api_version: STRIPE_API_VERSION,
      livemode: false,
      // its own delivery is not acknowledged yet while it is being sent
      pending_webhooks: 1,
      request: { id: confirmed.lastResponse.requestId, idempotency_key: 'order-A-42-confirm' },
      data: { object: { id: confirmed.id, object: 'payment_intent', status: 'succeeded', amount: 4200 } },
    });
    expect(event.id).toMatch(/^evt_/);

    // the same SDK refuses a tampered body, another secret and a header without a signature
    const tampered = delivery!.body.replace('"amount":4200', '"amount":1');
    expect(() => s.stripe.webhooks.constructEvent(tampered, delivery!.stripeSignature!, endpoint.secret!)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => s.stripe.webhooks.constructEvent(delivery!.body, delivery!.stripeSignature!, 'whsec_someone_else')).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const withoutSignature = delivery!.stripeSignature!.replace(/,v1=[0-9a-f]+/, '');
    expect(() => s.stripe.webhooks.constructEvent(delivery!.body, withoutSignature, endpoint.secret!)).toThrow(Stripe.errors.StripeSignatureVerificationError);

    // once acknowledged, the event has no pending webhooks
    const settled = await harness.waitFor(async () => {
      const e = await s.stripe.events.retrieve(event.id);
      return e.pending_webhooks === 0 ? e : undefined;
    });
    expect(settled).toMatchObject({ id: event.id, request: { id: confirmed.lastResponse.requestId, idempotency_key: 'order-A-42-confirm' } });
  });

  it('an endpoint is updated (url, events, metadata, disabled) and then delivers accordingly', async () => {
    harness = await startHarness((client) => defineFunctions(client));
    const first = await receiver();
    const second = await receiver();
    const created = await s.stripe.webhookEndpoints.create({ url: first.url, enabled_events: ['payment_intent.canceled'], metadata: { a: '1', b: '2' } });

    const updated = await s.stripe.webhookEndpoints.update(created.id, {
      url: second.url,
      enabled_events: ['payment_intent.succeeded', 'payment_intent.created'],
      metadata: { b: '', c: '3' },
      description: 'orders',
    });
    expect(updated).toMatchObject({ id: created.id, url: second.url, enabled_events: ['payment_intent.succeeded', 'payment_intent.created'], metadata: { a: '1', c: '3' }, description: 'orders' });
    expect(updated.secret).toBeUndefined();
    expect((await s.stripe.webhookEndpoints.retrieve(created.id)).secret).toBeUndefined();

    // disabled: nothing is delivered
    expect((await s.stripe.webhookEndpoints.update(created.id, { disabled: true })).status).toBe('disabled');
    await s.stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    await relay();
    await harness.engine.drain();
    expect(second.received).toHaveLength(0);

    // enabled again: the next payment's events reach the new URL, the old one gets nothing
    expect((await s.stripe.webhookEndpoints.update(created.id, { disabled: false })).status).toBe('enabled');
    const pi = await s.stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    await relay();
    await harness.waitFor(async () => (second.received.length >= 1 ? true : undefined), 15_000);
    const event = s.stripe.webhooks.constructEvent(second.received[0]!.body, second.received[0]!.stripeSignature!, created.secret!);
    expect(event).toMatchObject({ type: 'payment_intent.created', data: { object: { id: pi.id } } });
    expect(first.received).toHaveLength(0);

    const err = await s.stripe.webhookEndpoints.update(created.id, { enabled_events: ['invoice.paid' as 'payment_intent.created'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ param: 'enabled_events.0' });
    const listed = await s.stripe.webhookEndpoints.list();
    expect(listed.data.map((e) => e.id)).toContain(created.id);
    expect(await s.stripe.webhookEndpoints.del(created.id)).toMatchObject({ id: created.id, deleted: true });
    await expect(s.stripe.webhookEndpoints.retrieve(created.id)).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});

describe('events, listed and retrieved with the official SDK', () => {
  it('filters by type, a type family and several types, and pages with auto-pagination', async () => {
    // a merchant of its own, so the other tests' events are not in its lists
    const merchant = s.client((await createTestMerchant()).secretKey);
    const paid = await paidPayment(merchant);
    const canceled = await merchant.paymentIntents.create({ amount: 700, currency: 'usd' });
    await merchant.paymentIntents.cancel(canceled.id);

    const all = await merchant.events.list({ limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(all.map((e) => e.type).sort()).toEqual(
      ['charge.succeeded', 'payment_intent.canceled', 'payment_intent.created', 'payment_intent.created', 'payment_intent.succeeded'].sort(),
    );
    // the charge event carries the charge the intent's latest_charge names
    const charge = all.find((e) => e.type === 'charge.succeeded')!.data.object as Stripe.Charge;
    expect(charge).toMatchObject({ object: 'charge', id: paid.latest_charge, payment_intent: paid.id, amount: 4200, captured: true, paid: true, status: 'succeeded' });
    for (const e of all) {
      expect(e).toMatchObject({ object: 'event', api_version: STRIPE_API_VERSION, livemode: false, pending_webhooks: 0 });
      expect(e.request?.id).toMatch(/^req_[0-9a-f]{32}$/);
    }
    // newest first
    expect(all.map((e) => e.created)).toEqual([...all.map((e) => e.created)].sort((a, b) => b - a));

    const succeeded = await merchant.events.list({ type: 'payment_intent.succeeded' });
    expect(succeeded.data).toHaveLength(1);
    expect((succeeded.data[0]!.data.object as Stripe.PaymentIntent).id).toBe(paid.id);
    expect((await merchant.events.list({ type: 'payment_intent.*' })).data).toHaveLength(4);
    expect((await merchant.events.list({ type: 'charge.*' })).data.map((e) => e.type)).toEqual(['charge.succeeded']);
    expect((await merchant.events.list({ types: ['payment_intent.canceled', 'payment_intent.succeeded'] })).data.map((e) => e.type).sort()).toEqual([
      'payment_intent.canceled',
      'payment_intent.succeeded',
    ]);
    const since = all.at(-1)!.created;
    expect((await merchant.events.list({ created: { gte: since } })).data.length).toBe(5);
    expect((await merchant.events.list({ created: { lt: since } })).data).toHaveLength(0);

    const one = await merchant.events.retrieve(succeeded.data[0]!.id);
    expect(one).toMatchObject({ id: succeeded.data[0]!.id, type: 'payment_intent.succeeded' });

    const err = await merchant.events.list({ type: 'nonsense.*' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ param: 'type' });
    // another merchant's event does not exist for this one
    await expect(s.stripe.events.retrieve(one.id)).rejects.toMatchObject({ statusCode: 404 });
  });
});
