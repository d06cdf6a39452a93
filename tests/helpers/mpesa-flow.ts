import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { defineFunctions } from '@/inngest';
import { inngest } from '@/inngest/client';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { resetDaraja } from '@/lib/psp/daraja';
import { startHarness, type Harness } from './engine-harness';
import { startDaraja, type Daraja } from './daraja-sandbox';
import { apiClient, createTestMerchant, type TestApp } from './test-app';

/**
 * An M-Pesa test file's world: the app (every route, the offline Daraja and its phone) and the
 * engine running the real functions, with the outbox relayed to it; plus the customer's side
 * (the pay page's start call, the phone's prompt and PIN) over HTTP.
 */
export interface MpesaWorld {
  app: TestApp;
  /** A Daraja client of the test's own (the org portal, the certificate, direct API calls). */
  daraja: Daraja;
  h: Harness;
  settle<T>(probe: () => Promise<T | undefined | false | null>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startMpesaWorld(env: Record<string, string>): Promise<MpesaWorld> {
  Object.assign(process.env, env);
  const daraja = await startDaraja();
  const app = daraja.app;
  resetDaraja();
  const h = await startHarness((client) => defineFunctions(client));
  // the callback routes send with the app's own client: point it at this file's engine
  inngest.setEnvVars({ INNGEST_BASE_URL: h.engine.url, INNGEST_EVENT_KEY: h.eventKey });
  const relay = () => relayOutboxBatch((events: RelayedEvent[]) => h.client.send(events).then(() => undefined));
  return {
    app,
    daraja,
    h,
    settle: (probe, timeoutMs = 20_000) =>
      h.waitFor(async () => {
        await relay();
        return probe();
      }, timeoutMs),
    async close() {
      for (const k of Object.keys(env)) delete process.env[k];
      await h.close();
      await app.close();
    },
  };
}

let phoneCounter = 0;
/** A fresh Safaricom number per test, so the per-phone risk rules never carry over. */
export function freshPhone(): string {
  return `2547${String(Date.now() % 1_000_000).padStart(6, '0')}${String(++phoneCounter % 100).padStart(2, '0')}`;
}

export async function mpesaMerchant(app: TestApp, name = 'Mama Mboga') {
  const m = await createTestMerchant(name);
  return { api: apiClient(app, m.secretKey), merchantId: m.merchant.id };
}

export async function kesSession(api: ReturnType<typeof apiClient>, amount: number) {
  const res = await api.post(
    '/api/v1/checkout/sessions',
    { amount, currency: 'kes', success_url: 'https://shop.example/ok?cs={CHECKOUT_SESSION_ID}', cancel_url: 'https://shop.example/cancel' },
    { idempotencyKey: randomUUID() },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { id: string; payment_intent: string };
}

export async function phoneState(app: TestApp, msisdn: string) {
  return (await (await fetch(`${app.url}/api/sandbox/mpesa/phone/${msisdn}`)).json()) as {
    prompt?: { checkoutRequestId: string; amount: number; payee: string };
    messages: { body: string }[];
  };
}

export async function enterPin(app: TestApp, msisdn: string, checkoutRequestId: string, pin = '1234') {
  const res = await fetch(`${app.url}/api/sandbox/mpesa/phone/${msisdn}/respond`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'pin', pin, checkoutRequestId }),
  });
  return (await res.json()) as { ResultCode: number };
}

/** A KES payment the customer made with M-Pesa on the pay page (PIN 1234), settled and booked. */
export async function paidByMpesa(world: MpesaWorld, api: ReturnType<typeof apiClient>, amount: number) {
  const cs = await kesSession(api, amount);
  const phone = freshPhone();
  const res = await fetch(`${world.app.url}/api/pay/${cs.id}/mpesa`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ phone }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const prompt = await world.settle(async () => (await phoneState(world.app, phone)).prompt);
  expect((await enterPin(world.app, phone, prompt.checkoutRequestId)).ResultCode).toBe(0);
  await world.settle(async () => (await api.get(`/api/v1/payment_intents/${cs.payment_intent}`)).body.status === 'succeeded');
  return { paymentIntentId: cs.payment_intent, phone, checkoutRequestId: prompt.checkoutRequestId };
}
