import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentMethods, sandboxCardPayments, sandboxCardTokens } from '@/db/schema';
import { createSandboxCardAdapter } from '@/lib/psp/sandbox-card';
import { PspError } from '@/lib/psp/types';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';

/**
 * The rules of saved cards, against the offline card network over HTTP: a single-use token is
 * either charged once or saved once (never both), a card on file is charged only by its own
 * merchant, and off session an issuer that wants 3-D Secure declines instead of asking.
 */

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;
let api: ReturnType<typeof apiClient>;
let network: ReturnType<typeof createSandboxCardAdapter>;

beforeAll(async () => {
  app = await startTestApp();
  merchant = await createTestMerchant();
  api = apiClient(app, merchant.secretKey);
  network = createSandboxCardAdapter({ baseUrl: app.url });
});
afterAll(() => app.close());

const mid = () => merchant.merchant.id;
const tokenFor = (number: string, merchantId = mid()) => tokenizeCard(app, number, { merchantId });
let n = 0;
const charge = (token: string, extra: { offSession?: boolean; merchantId?: string } = {}) =>
  network.authorize({ idempotencyKey: `saved-cards-${++n}`, amount: 1500, currency: 'usd', token, capture: true, merchantId: extra.merchantId ?? mid(), ...(extra.offSession ? { offSession: true } : {}) });

async function savedCard(number: string): Promise<{ pm: any; customer: any; cardOnFile: string }> {
  const customer = (await api.post('/v1/customers', { email: `c${++n}@example.test` })).body;
  const created = await api.post('/v1/payment_methods', { type: 'card', card: { token: await tokenFor(number) } });
  expect(created.status).toBe(200);
  const attached = await api.post(`/v1/payment_methods/${created.body.id}/attach`, { customer: customer.id });
  expect(attached.status).toBe(200);
  const [row] = await getDb().select().from(paymentMethods).where(eq(paymentMethods.id, created.body.id));
  return { pm: attached.body, customer, cardOnFile: row!.pspToken! };
}

describe('saving a card at the network', () => {
  it('exchanges the token for a reusable card on file and uses the token up', async () => {
    const token = await tokenFor('4242424242424242');
    const customer = (await api.post('/v1/customers', { email: 'a@example.test' })).body;
    const pm = (await api.post('/v1/payment_methods', { type: 'card', card: { token } })).body;
    await api.post(`/v1/payment_methods/${pm.id}/attach`, { customer: customer.id });
    const [row] = await getDb().select().from(paymentMethods).where(eq(paymentMethods.id, pm.id));
    expect(row!.pspToken).toMatch(/^card_/);
    expect(row!.customerId).toBe(customer.id);
    // the token itself is spent: charging it now is refused and records no payment
    const err = await charge(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PspError);
    expect((err as PspError).reason).toBe('token_already_used');
    // the card on file charges again and again
    expect((await charge(row!.pspToken!)).status).toBe('captured');
    expect((await charge(row!.pspToken!)).status).toBe('captured');
  });

  it('refuses to save a token that already paid, and changes nothing', async () => {
    const token = await tokenFor('4242424242424242');
    const pm = (await api.post('/v1/payment_methods', { type: 'card', card: { token } })).body;
    expect((await charge(token)).status).toBe('captured');
    const customer = (await api.post('/v1/customers', { email: 'b@example.test' })).body;
    const res = await api.post(`/v1/payment_methods/${pm.id}/attach`, { customer: customer.id });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('payment_method_unexpected_state');
    const [row] = await getDb().select().from(paymentMethods).where(eq(paymentMethods.id, pm.id));
    expect(row).toMatchObject({ customerId: null, pspToken: token });
    const cards = await getDb().select().from(sandboxCardTokens).where(eq(sandboxCardTokens.sourceTokenId, token));
    expect(cards).toEqual([]);
  });

  it('lets a token be saved or charged, never both, when the two race', async () => {
    for (let round = 0; round < 3; round++) {
      const token = await tokenFor('4242424242424242');
      const [saved, charged] = await Promise.allSettled([network.saveCard!(token, mid(), `race-${round}-${++n}`), charge(token)]);
      expect([saved.status, charged.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      const payments = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.tokenId, token));
      const cards = await getDb().select().from(sandboxCardTokens).where(eq(sandboxCardTokens.sourceTokenId, token));
      expect(payments.length + cards.length).toBe(1);
    }
  });

  it('saving twice with the same key returns the same card on file', async () => {
    const token = await tokenFor('5555555555554444');
    const first = await network.saveCard!(token, mid(), `same-key-${++n}`);
    const again = await network.saveCard!(token, mid(), `same-key-${n}`);
    expect(again.token).toBe(first.token);
  });

  it('binds the card on file to its merchant: another merchant cannot read or charge it', async () => {
    const { cardOnFile } = await savedCard('4242424242424242');
    const other = await createTestMerchant('Other Shop');
    const err = await charge(cardOnFile, { merchantId: other.merchant.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PspError);
    expect((err as PspError).message).toMatch(/No such token/);
    await expect(network.retrieveCardToken(cardOnFile, other.merchant.id)).rejects.toBeInstanceOf(PspError);
    await expect(network.saveCard!(cardOnFile, other.merchant.id, `steal-${++n}`)).rejects.toBeInstanceOf(PspError);
  });
});

describe('3-D Secure on a saved card', () => {
  it('asks on session and declines off session when the issuer always wants it (4000002760003184)', async () => {
    const { cardOnFile } = await savedCard('4000002760003184');
    expect((await charge(cardOnFile)).status).toBe('requires_action');
    const off = await charge(cardOnFile, { offSession: true });
    expect(off).toMatchObject({ status: 'declined', declineCode: 'authentication_required' });
  });

  it('passes off session from a card on file when the issuer trusts saved cards (4000002500003155)', async () => {
    const { cardOnFile } = await savedCard('4000002500003155');
    expect((await charge(cardOnFile, { offSession: true })).status).toBe('captured');
    expect((await charge(cardOnFile)).status).toBe('requires_action');
    // the same card as a plain token, off session, has no saved authentication: declined
    const token = await tokenFor('4000002500003155');
    expect(await charge(token, { offSession: true })).toMatchObject({ status: 'declined', declineCode: 'authentication_required' });
  });
});

describe('ownership', () => {
  it('deleting a customer detaches its saved cards for good, and nothing can attach to it', async () => {
    const { pm, customer } = await savedCard('4242424242424242');
    const del = await fetch(`${app.url}/v1/customers/${customer.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${merchant.secretKey}` } });
    expect(await del.json()).toEqual({ id: customer.id, object: 'customer', deleted: true });
    const [row] = await getDb().select().from(paymentMethods).where(eq(paymentMethods.id, pm.id));
    expect(row).toMatchObject({ customerId: null, pspToken: null });
    const list = await api.get(`/v1/customers/${customer.id}/payment_methods`);
    expect(list.status).toBe(404);
  });

  it('another merchant cannot attach, detach or list this merchant’s payment methods', async () => {
    const { pm, customer } = await savedCard('4242424242424242');
    const other = apiClient(app, (await createTestMerchant('Intruder')).secretKey);
    const otherCustomer = (await other.post('/v1/customers', { email: 'x@example.test' })).body;
    expect((await other.post(`/v1/payment_methods/${pm.id}/attach`, { customer: otherCustomer.id })).status).toBe(404);
    expect((await other.post(`/v1/payment_methods/${pm.id}/detach`, {})).status).toBe(404);
    expect((await other.get(`/v1/payment_methods?customer=${customer.id}`)).status).toBe(404);
    const [row] = await getDb().select().from(paymentMethods).where(eq(paymentMethods.id, pm.id));
    expect(row!.customerId).toBe(customer.id);
  });
});
