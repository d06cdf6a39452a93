import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { paymentDisputes, paymentIntents } from '@/db/schema';
import { listAudit } from '@/lib/audit';
import { LOGIN_LIMIT } from '@/lib/auth/login-rate-limit';
import { attemptLogin } from '@/lib/auth/users';
import { listMerchantDisputes } from '@/lib/dashboard/disputes';
import { dailyStats, getOverview, lastDays, parseOverviewRange } from '@/lib/dashboard/overview';
import { getMerchantPaymentDetail, listMerchantPayments } from '@/lib/dashboard/payments';
import { createEndpoint, listDeliveryLog, sendTestEvent, TEST_EVENT_TYPE } from '@/lib/dashboard/webhooks';
import { verifyWebhookSignature } from '@/lib/webhooks/signature';
import { outboxEvents, webhookDeliveries } from '@/db/schema';
import { newId } from '@/lib/ids';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  // the test-event test posts to a receiver on this machine: allow internal webhook URLs here
  // (tests/security/ssrf.test.ts proves they are refused otherwise)
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  app = await startTestApp();
});
afterAll(() => app.close());

async function paid(api: ReturnType<typeof apiClient>, amount: number) {
  const pi = (await api.post('/api/v1/payment_intents', { amount, currency: 'usd' })).body;
  const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
  expect(res.body.status).toBe('succeeded');
  return pi.id as string;
}

async function dispute(merchantId: string, paymentIntentId: string, status: string, disputedAt = new Date()) {
  await getDb()
    .insert(paymentDisputes)
    .values({
      id: newId('paymentDispute'),
      merchantId,
      paymentIntentId,
      psp: 'stripe',
      pspDisputeId: `du_${newId('paymentDispute')}`,
      amount: 500,
      currency: 'usd',
      reason: 'fraudulent',
      status,
      disputedAt,
    });
}

describe('overview date range', () => {
  const now = new Date('2026-03-10T15:00:00Z');

  it('parses presets, custom ranges (ordered, capped at today and a year) and falls back on junk', () => {
    expect(parseOverviewRange({ range: '7d' }, now)).toEqual({ from: '2026-03-04', to: '2026-03-10', days: 7, preset: '7d' });
    expect(parseOverviewRange({ range: '90d' }, now)).toMatchObject({ from: '2025-12-11', days: 90, preset: '90d' });
    expect(parseOverviewRange({}, now)).toMatchObject({ days: 30, preset: '30d', to: '2026-03-10' });
    expect(parseOverviewRange({ from: '2026-03-05', to: '2026-03-01' }, now)).toEqual({
      from: '2026-03-01',
      to: '2026-03-05',
      days: 5,
      preset: 'custom',
    });
    expect(parseOverviewRange({ from: '2026-03-01', to: '2027-01-01' }, now)).toMatchObject({ to: '2026-03-10', days: 10 });
    expect(parseOverviewRange({ from: '2020-01-01', to: '2026-03-10' }, now)).toMatchObject({ days: 366, to: '2026-03-10' });
    for (const junk of [
      { from: '2026-02-30', to: '2026-03-01' },
      { from: 'x', to: '2026-03-01' },
      { range: '8d' },
      { from: '2026-03-01' },
    ]) {
      expect(parseOverviewRange(junk, now)).toMatchObject({ days: 30, preset: '30d' });
    }
  });

  it('counts only the days inside the range', async () => {
    const m = await createTestMerchant('Range');
    const api = apiClient(app, m.secretKey);
    const old = await paid(api, 700);
    await paid(api, 300);
    // move one payment ten days back: it belongs to a 30-day range, not to a 7-day one
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await getDb().update(paymentIntents).set({ createdAt: tenDaysAgo }).where(eq(paymentIntents.id, old));
    const week = await dailyStats(m.merchant.id, lastDays(7));
    const month = await dailyStats(m.merchant.id, lastDays(30));
    expect(week).toHaveLength(7);
    expect(month).toHaveLength(30);
    const sum = (days: typeof week) => days.reduce((a, d) => a + (d.volume.usd ?? 0), 0);
    expect(sum(week)).toBe(300);
    expect(sum(month)).toBe(1_000);
    const day = tenDaysAgo.toISOString().slice(0, 10);
    expect(month.find((d) => d.day === day)?.volume).toEqual({ usd: 700 });
    // a custom range that ended before both payments has no volume at all
    const before = await dailyStats(m.merchant.id, parseOverviewRange({ from: '2026-01-01', to: '2026-01-03' }, new Date()));
    expect(before.map((d) => d.day)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect(sum(before)).toBe(0);
    const overview = await getOverview(m.merchant.id, new Date(), lastDays(7));
    expect(overview.range.days).toBe(7);
    expect(overview.today).toBe(new Date().toISOString().slice(0, 10));
  });
});

describe('payment rows: labels, declined attempts, refunds and disputes', () => {
  it('labels each state and keeps declined tries, refunds and disputes on the row and the detail', async () => {
    const m = await createTestMerchant('Labels');
    const other = await createTestMerchant('Other');
    const api = apiClient(app, m.secretKey);
    const plain = await paid(api, 1_000);
    const partial = await paid(api, 1_000);
    expect((await api.post('/api/v1/refunds', { payment_intent: partial, amount: 400 })).status).toBe(200);
    const full = await paid(api, 1_000);
    expect((await api.post('/api/v1/refunds', { payment_intent: full })).status).toBe(200);
    const disputed = await paid(api, 1_000);
    await dispute(m.merchant.id, disputed, 'warning_closed', new Date(Date.now() - 60_000));
    await dispute(m.merchant.id, disputed, 'needs_response');
    const retried = (await api.post('/api/v1/payment_intents', { amount: 300, currency: 'usd' })).body.id as string;
    await api.post(`/api/v1/payment_intents/${retried}/confirm`, { payment_method: 'pm_card_chargeDeclined' });
    const declinedOnly = (await api.post('/api/v1/payment_intents', { amount: 300, currency: 'usd' })).body.id as string;
    await api.post(`/api/v1/payment_intents/${declinedOnly}/confirm`, { payment_method: 'pm_card_chargeDeclined' });
    await api.post(`/api/v1/payment_intents/${retried}/confirm`, { payment_method: 'pm_card_visa' });
    const incomplete = (await api.post('/api/v1/payment_intents', { amount: 300, currency: 'usd' })).body.id as string;

    const { rows } = await listMerchantPayments(m.merchant.id);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(plain)?.display.label).toBe('Succeeded');
    expect(byId.get(partial)).toMatchObject({ amountRefunded: 400, display: { label: 'Partially refunded' } });
    expect(byId.get(full)).toMatchObject({ amountRefunded: 1_000, display: { label: 'Refunded' } });
    expect(byId.get(disputed)).toMatchObject({ disputeStatus: 'needs_response', display: { label: 'Disputed' } });
    expect(byId.get(retried)).toMatchObject({ failedAttempts: 1, display: { label: 'Succeeded' } });
    expect(byId.get(declinedOnly)).toMatchObject({ failedAttempts: 1, display: { label: 'Declined' } });
    expect(byId.get(incomplete)).toMatchObject({ failedAttempts: 0, disputeStatus: null, display: { label: 'Incomplete' } });

    const detail = await getMerchantPaymentDetail(m.merchant.id, disputed);
    expect(detail?.display.key).toBe('disputed');
    expect(detail?.disputes.map((d) => d.status)).toEqual(['needs_response', 'warning_closed']);

    const list = await listMerchantDisputes(m.merchant.id, { limit: 1 });
    expect(list.rows).toEqual([expect.objectContaining({ paymentIntentId: disputed, status: 'needs_response', open: true })]);
    const older = await listMerchantDisputes(m.merchant.id, { limit: 1, before: list.nextCursor! });
    expect(older.rows).toEqual([expect.objectContaining({ status: 'warning_closed', open: false })]);
    expect(older.nextCursor).toBeNull();
    // another merchant sees none of it
    expect((await listMerchantDisputes(other.merchant.id)).rows).toEqual([]);
    expect(await getMerchantPaymentDetail(other.merchant.id, disputed)).toBeNull();
  });
});

describe('failed sign-ins in the audit log', () => {
  it('audits a wrong password for a known email (with the IP), not an unknown email, not a rate-limited refusal', async () => {
    const m = await createTestMerchant('Failed Login Shop');
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 20}`;
    expect(await attemptLogin({ email: m.email.toUpperCase(), password: 'wrong-password-1', ip })).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await attemptLogin({ email: `nobody-${m.merchant.id}@example.test`, password: 'wrong-password-2', ip })).toEqual({
      ok: false,
      reason: 'invalid',
    });
    const { rows } = await listAudit(m.merchant.id);
    const failed = rows.filter((r) => r.action === 'user.login_failed');
    expect(failed).toEqual([
      expect.objectContaining({
        userId: null,
        actorEmail: m.email,
        targetId: m.userId,
        ip,
        details: { reason: 'wrong_password' },
      }),
    ]);
    for (let i = 1; i < LOGIN_LIMIT.maxFailures; i++) await attemptLogin({ email: m.email, password: `wrong-${i}`, ip: null });
    expect(await attemptLogin({ email: m.email, password: 'wrong-again', ip: null })).toEqual({
      ok: false,
      reason: 'rate_limited',
    });
    const after = (await listAudit(m.merchant.id)).rows.filter((r) => r.action === 'user.login_failed');
    expect(after).toHaveLength(LOGIN_LIMIT.maxFailures);
  });
});

describe('webhook test event', () => {
  it('delivers one signed test event to that endpoint only, logs it, and records a refusal as a final failed delivery', async () => {
    const received: { body: string; signature: string | undefined; path: string }[] = [];
    let answer = 200;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, signature: req.headers['pay-signature'] as string | undefined, path: req.url ?? '' });
        res.writeHead(answer).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const m = await createTestMerchant('Test Event Shop');
      const owner = {
        user: { id: m.userId, email: m.email, role: 'owner' as const, merchantId: m.merchant.id },
        ip: '203.0.113.9',
      };
      const target = await createEndpoint(owner, { url: `${base}/target`, enabled_events: ['*'] });
      await createEndpoint(owner, { url: `${base}/bystander`, enabled_events: ['*'] });

      const ok = await sendTestEvent(owner, { endpointId: target.id });
      expect(ok).toMatchObject({ delivered: true, statusCode: 200 });
      expect(received.map((r) => r.path)).toEqual(['/target']);
      const event = verifyWebhookSignature<{ id: string; type: string }>(
        received[0]!.body,
        received[0]!.signature,
        target.secret,
      );
      expect(event.type).toBe(TEST_EVENT_TYPE);
      // written as relayed: the engine never fans it out to the other endpoint
      const [row] = await getDb().select().from(outboxEvents).where(eq(outboxEvents.id, event.id));
      expect(row?.sentAt).toBeInstanceOf(Date);

      answer = 500;
      const refused = await sendTestEvent(owner, { endpointId: target.id });
      expect(refused).toMatchObject({ delivered: false, statusCode: 500 });
      expect(refused.message).toContain('HTTP 500');
      const log = await listDeliveryLog(m.merchant.id);
      const tests = log.rows.filter((d) => d.eventType === TEST_EVENT_TYPE);
      expect(tests.map((d) => d.status).sort()).toEqual(['failed', 'succeeded']);
      const deliveries = await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, target.id));
      expect(deliveries.every((d) => d.nextAttemptAt === null)).toBe(true);
      expect(received).toHaveLength(2);

      const stranger = await createTestMerchant('Stranger');
      const other = {
        user: { id: stranger.userId, email: stranger.email, role: 'owner' as const, merchantId: stranger.merchant.id },
        ip: null,
      };
      await expect(sendTestEvent(other, { endpointId: target.id })).rejects.toMatchObject({ code: 'resource_missing' });
      const viewer = { ...owner, user: { ...owner.user, role: 'viewer' as const } };
      await expect(sendTestEvent(viewer, { endpointId: target.id })).rejects.toMatchObject({ code: 'forbidden' });
      expect(received).toHaveLength(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
