import { eq } from 'drizzle-orm';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentAttempts } from '@/db/schema';
import { newId } from '@/lib/ids';
import { addBlocklistEntry, DEFAULT_RISK_SETTINGS, saveRiskSettings } from '@/lib/risk';
import { freshCardNumber } from '@/scripts/bench/e2e-load';
import { apiClient, createTestMerchant, startTestApp, tokenizeCard, type TestApp } from '../helpers/test-app';

/**
 * The risk rules read every fact (settings, the IP, card and email velocity, the blocklist) in
 * one statement after the advisory locks. Each fact still decides: a merchant's own settings
 * row, and each count and blocklist kind, block the attempt that crosses it, through the API.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function merchantApi() {
  const m = await createTestMerchant();
  return { id: m.merchant.id, api: apiClient(app, m.secretKey) };
}

async function confirmWith(
  m: Awaited<ReturnType<typeof merchantApi>>,
  card: string,
  extra: Record<string, unknown> = {},
): Promise<{ status: number; code: string | undefined; reasons: string[] }> {
  const pi = (await m.api.post('/api/v1/payment_intents', { amount: 1500, currency: 'usd' })).body;
  const token = await tokenizeCard(app, card, { merchantId: m.id });
  const res = await m.api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: token, ...extra });
  const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, pi.id));
  return { status: res.status, code: res.body.error?.code, reasons: attempt?.riskReasons ?? [] };
}

describe('risk facts, read in one statement', () => {
  it("counts a card's attempts against the merchant's own limit", async () => {
    const m = await merchantApi();
    await saveRiskSettings(getDb(), m.id, { ...DEFAULT_RISK_SETTINGS, maxAttemptsPerCardPerDay: 2 });
    const card = freshCardNumber();
    expect((await confirmWith(m, card)).status).toBe(200);
    expect((await confirmWith(m, card)).status).toBe(200);
    const third = await confirmWith(m, card);
    expect(third).toMatchObject({ status: 402, code: 'payment_blocked' });
    expect(third.reasons).toContain('too_many_attempts_card');
    // another card of the same merchant is not affected
    expect((await confirmWith(m, freshCardNumber())).status).toBe(200);
  });

  it("counts an email's attempts, whatever its case", async () => {
    const m = await merchantApi();
    await saveRiskSettings(getDb(), m.id, { ...DEFAULT_RISK_SETTINGS, maxAttemptsPerEmailPerDay: 1 });
    expect((await confirmWith(m, freshCardNumber(), { receipt_email: 'buyer@example.test' })).status).toBe(200);
    const second = await confirmWith(m, freshCardNumber(), { receipt_email: 'Buyer@Example.test' });
    expect(second.code).toBe('payment_blocked');
    expect(second.reasons).toContain('too_many_attempts_email');
  });

  it('blocks a blocklisted card fingerprint and a blocklisted IP, and only those', async () => {
    const m = await merchantApi();
    const card = freshCardNumber();
    expect((await confirmWith(m, card)).status).toBe(200);
    const [first] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.merchantId, m.id));
    await addBlocklistEntry(getDb(), { id: newId('blocklistEntry'), merchantId: m.id, kind: 'card_fingerprint', value: first!.card!.fingerprint });
    await addBlocklistEntry(getDb(), { id: newId('blocklistEntry'), merchantId: m.id, kind: 'ip', value: '203.0.113.9' });
    const byCard = await confirmWith(m, card);
    expect(byCard.code).toBe('payment_blocked');
    expect(byCard.reasons).toEqual(['blocklisted_card']);
    const byIp = await confirmWith(m, freshCardNumber(), { customer_ip: '203.0.113.9' });
    expect(byIp.reasons).toEqual(['blocklisted_ip']);
    expect((await confirmWith(m, freshCardNumber(), { customer_ip: '203.0.113.10' })).status).toBe(200);
  });

  it('uses the defaults for a merchant without a settings row', async () => {
    const m = await merchantApi();
    const big = (await m.api.post('/api/v1/payment_intents', { amount: DEFAULT_RISK_SETTINGS.amountCeilings.usd! + 1, currency: 'usd' })).body;
    const token = await tokenizeCard(app, freshCardNumber(), { merchantId: m.id });
    const res = await m.api.post(`/api/v1/payment_intents/${big.id}/confirm`, { payment_method: token });
    expect(res.body.error?.code).toBe('payment_blocked');
    const [attempt] = await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.paymentIntentId, big.id));
    expect(attempt?.riskReasons).toContain('amount_over_ceiling');
  });
});
