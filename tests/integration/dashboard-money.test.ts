import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { deadLetterReplayer } from '@/inngest/dead-letter-replay';
import { auditLog, blocklistEntries, deadLetters, refunds, riskSettings, users, webhookEndpoints } from '@/db/schema';
import { hashPassword } from '@/lib/auth/passwords';
import type { DashboardActor } from '@/lib/dashboard/actor';
import { parseMajorAmount } from '@/lib/dashboard/amounts';
import { getBalancesView } from '@/lib/dashboard/balances';
import { getOverview } from '@/lib/dashboard/overview';
import { cancelPayment, capturePayment, refundPayment } from '@/lib/dashboard/payment-actions';
import {
  csvCell,
  getMerchantPaymentDetail,
  listMerchantPayments,
  parsePaymentFilters,
  paymentsCsv,
} from '@/lib/dashboard/payments';
import { addBlocklist, listBlockedAttempts, removeBlocklist, updateRiskSettings } from '@/lib/dashboard/risk';
import {
  createEndpoint,
  deleteEndpoint,
  listDeliveryLog,
  listEndpoints,
  redeliver,
  replayDeadLetterAction,
  setEndpointEnabled,
  updateEndpoint,
} from '@/lib/dashboard/webhooks';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { getRiskSettings } from '@/lib/risk';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import { createPaidPayment } from '@/tests/helpers/factories';

let app: TestApp;
beforeAll(async () => {
  // One test registers a webhook URL on the local test app (a failing receiver): allow internal
  // webhook URLs (SSRF protection refuses them otherwise; tests/security/ssrf.test.ts covers that).
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  app = await startTestApp();
});
afterAll(() => app.close());

type Role = 'owner' | 'developer' | 'viewer';

async function merchantWithActors(name = 'Shop') {
  const m = await createTestMerchant(name);
  const actor = async (role: Role): Promise<DashboardActor> => {
    if (role === 'owner') return { user: { id: m.userId, email: m.email, role, merchantId: m.merchant.id }, ip: '203.0.113.7' };
    const id = newId('user');
    const email = `${role}-${randomUUID()}@example.test`;
    await getDb()
      .insert(users)
      .values({ id, merchantId: m.merchant.id, email, passwordHash: await hashPassword('not-used-here'), role });
    return { user: { id, email, role, merchantId: m.merchant.id }, ip: '203.0.113.8' };
  };
  return {
    m,
    api: apiClient(app, m.secretKey),
    owner: await actor('owner'),
    developer: await actor('developer'),
    viewer: await actor('viewer'),
  };
}

async function paidPayment(api: ReturnType<typeof apiClient>, amount = 10_000, extra: Record<string, unknown> = {}): Promise<{ id: string }> {
  return createPaidPayment(api, { amount, ...extra });
}

async function auditOf(merchantId: string, action: string) {
  return getDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.merchantId, merchantId), eq(auditLog.action, action)));
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('payment actions', () => {
  it('an owner refunds part of a payment with a reason: one refund per click key, audited', async () => {
    const { m, api, owner } = await merchantWithActors();
    const pi = await paidPayment(api);
    const click = randomUUID();
    const input = { paymentIntentId: pi.id, amount: '25.50', reason: 'requested_by_customer', clickKey: click };
    const [first, second] = await Promise.allSettled([refundPayment(owner, input), refundPayment(owner, input)]);
    // A double click: both answers name one refund (or the second is told the first is running).
    const values = [first, second]
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id);
    expect(values.length).toBeGreaterThanOrEqual(1);
    expect(new Set(values).size).toBe(1);
    const again = await refundPayment(owner, input);
    expect(again.id).toBe(values[0]);
    const rows = await getDb().select().from(refunds).where(eq(refunds.paymentIntentId, pi.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 2_550, reason: 'requested_by_customer', merchantId: m.merchant.id });
    const entries = await auditOf(m.merchant.id, 'payment.refund');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      userId: m.userId,
      actorEmail: m.email,
      targetType: 'refund',
      targetId: rows[0]!.id,
      ip: '203.0.113.7',
    });

    const detail = await getMerchantPaymentDetail(m.merchant.id, pi.id);
    expect(detail?.amounts).toEqual({ authorized: 10_000, captured: 10_000, refunded: 2_550, refundable: 7_450 });
    expect(detail?.refunds.map((r) => r.id)).toEqual([rows[0]!.id]);
    expect(detail?.events.map((e) => e.type)).toEqual(expect.arrayContaining(['payment_intent.succeeded', 'refund.created']));
    // capture + refund postings, each balanced
    const kinds = new Set(detail?.ledger.map((l) => l.kind));
    expect(kinds.has('capture') && kinds.has('refund')).toBe(true);
    for (const tx of new Set(detail?.ledger.map((l) => l.transactionId))) {
      expect(detail!.ledger.filter((l) => l.transactionId === tx).reduce((a, l) => a + l.amountMinor, 0)).toBe(0);
    }
  });

  it('a new click key refunds again; the domain’s refusal (more than is left) comes back as its message', async () => {
    const { api, owner } = await merchantWithActors();
    const pi = await paidPayment(api, 1_000);
    await refundPayment(owner, { paymentIntentId: pi.id, amount: '6.00', clickKey: randomUUID() });
    const err = await refusal(refundPayment(owner, { paymentIntentId: pi.id, amount: '6.00', clickKey: randomUUID() }));
    expect(err.code).toBe('amount_too_large');
    expect(err.message).toMatch(/refund|captured|balance/i);
  });

  it('validates the amount and the click key', async () => {
    const { api, owner } = await merchantWithActors();
    const pi = await paidPayment(api, 1_000);
    expect((await refusal(refundPayment(owner, { paymentIntentId: pi.id, amount: '1.234', clickKey: randomUUID() }))).code).toBe(
      'parameter_invalid',
    );
    expect((await refusal(refundPayment(owner, { paymentIntentId: pi.id, amount: '-3', clickKey: randomUUID() }))).code).toBe(
      'parameter_invalid',
    );
    expect((await refusal(refundPayment(owner, { paymentIntentId: pi.id, clickKey: 'x' }))).message).toMatch(/reload/);
    expect(parseMajorAmount('1,000.5', 'usd')).toBe(100_050);
    expect(parseMajorAmount('500', 'jpy')).toBe(500);
    expect(() => parseMajorAmount('5.5', 'jpy')).toThrow(AppError);
  });

  it('viewers and developers may not refund, capture or cancel; nothing happens', async () => {
    const { m, api, viewer, developer } = await merchantWithActors();
    const pi = await paidPayment(api);
    const held = await paidPayment(api, 2_000, { capture_method: 'manual' });
    for (const actor of [viewer, developer]) {
      expect((await refusal(refundPayment(actor, { paymentIntentId: pi.id, clickKey: randomUUID() }))).code).toBe('forbidden');
      expect((await refusal(capturePayment(actor, { paymentIntentId: held.id, clickKey: randomUUID() }))).code).toBe('forbidden');
      expect((await refusal(cancelPayment(actor, { paymentIntentId: held.id, clickKey: randomUUID() }))).code).toBe('forbidden');
    }
    expect(await getDb().select().from(refunds).where(eq(refunds.merchantId, m.merchant.id))).toHaveLength(0);
    expect((await getMerchantPaymentDetail(m.merchant.id, held.id))?.paymentIntent.status).toBe('requires_capture');
    expect(await auditOf(m.merchant.id, 'payment.refund')).toHaveLength(0);
  });

  it('an owner captures part of a held payment, and cancels another; both audited, each once per click', async () => {
    const { m, api, owner } = await merchantWithActors();
    const held = await paidPayment(api, 5_000, { capture_method: 'manual' });
    const click = randomUUID();
    const captured = await capturePayment(owner, { paymentIntentId: held.id, amount: '30.00', clickKey: click });
    expect(captured).toMatchObject({ status: 'succeeded', amountReceived: 3_000 });
    expect(await capturePayment(owner, { paymentIntentId: held.id, amount: '30.00', clickKey: click })).toEqual(captured);
    expect(await auditOf(m.merchant.id, 'payment.capture')).toHaveLength(1);

    const other = await paidPayment(api, 700, { capture_method: 'manual' });
    expect(await cancelPayment(owner, { paymentIntentId: other.id, reason: 'duplicate', clickKey: randomUUID() })).toMatchObject({
      status: 'canceled',
    });
    expect(await auditOf(m.merchant.id, 'payment.cancel')).toHaveLength(1);
    const err = await refusal(capturePayment(owner, { paymentIntentId: other.id, clickKey: randomUUID() }));
    expect(err.code).toBe('payment_intent_unexpected_state');
  });

  it('another merchant’s payment and refund behave as not found', async () => {
    const a = await merchantWithActors('A');
    const b = await merchantWithActors('B');
    const pi = await paidPayment(a.api);
    const refund = await refundPayment(a.owner, { paymentIntentId: pi.id, amount: '1.00', clickKey: randomUUID() });
    expect((await refusal(refundPayment(b.owner, { paymentIntentId: pi.id, clickKey: randomUUID() }))).code).toBe(
      'resource_missing',
    );
    expect((await refusal(refundPayment(b.owner, { paymentIntentId: pi.id, amount: '1.00', clickKey: randomUUID() }))).code).toBe(
      'resource_missing',
    );
    expect((await refusal(capturePayment(b.owner, { paymentIntentId: pi.id, clickKey: randomUUID() }))).code).toBe(
      'resource_missing',
    );
    expect((await refusal(cancelPayment(b.owner, { paymentIntentId: pi.id, clickKey: randomUUID() }))).code).toBe(
      'resource_missing',
    );
    expect(await getMerchantPaymentDetail(b.m.merchant.id, pi.id)).toBeNull();
    // A's refund is nowhere in B's dashboard: not on B's payments, not in B's balance transactions.
    const bView = await getBalancesView(b.m.merchant.id);
    expect(bView.transactions.data.some((t) => t.source.refundId === refund.id)).toBe(false);
    const aView = await getBalancesView(a.m.merchant.id);
    expect(aView.transactions.data.some((t) => t.source.refundId === refund.id)).toBe(true);
    // The same click key used by two merchants is two different clicks.
    expect(await getDb().select().from(refunds).where(eq(refunds.merchantId, b.m.merchant.id))).toHaveLength(0);
  });
});

describe('payments search for M-Pesa', () => {
  it('finds an M-Pesa payment by the customer phone in any spelling, or by its receipt number', async () => {
    const { paymentIntents, paymentAttempts, mpesaPayments } = await import('@/db/schema');
    const { m } = await merchantWithActors('Duka');
    const piId = newId('paymentIntent');
    const attemptId = newId('paymentAttempt');
    await getDb()
      .insert(paymentIntents)
      .values({
        id: piId,
        merchantId: m.merchant.id,
        amount: 10_000,
        currency: 'kes',
        status: 'succeeded',
        captureMethod: 'automatic',
        amountReceived: 10_000,
      });
    await getDb()
      .insert(paymentAttempts)
      .values({
        id: attemptId,
        paymentIntentId: piId,
        merchantId: m.merchant.id,
        status: 'succeeded',
        amount: 10_000,
        currency: 'kes',
        psp: 'mpesa',
        pspIdempotencyKey: `k-${attemptId}`,
        paymentMethodType: 'mpesa',
      });
    await getDb()
      .insert(mpesaPayments)
      .values({
        attemptId,
        merchantId: m.merchant.id,
        phone: '254712345678',
        amountMinor: 10_000,
        checkoutRequestId: `ws_CO_${attemptId}`,
        resultCode: 0,
        receiptNumber: 'SKL5ABC123',
      });
    for (const q of ['0712345678', '+254 712 345 678', '254712345678', 'skl5abc123']) {
      expect((await listMerchantPayments(m.merchant.id, { q })).rows.map((r) => r.id)).toEqual([piId]);
    }
    expect((await listMerchantPayments(m.merchant.id, { q: '0799999999' })).rows).toHaveLength(0);
    const detail = await getMerchantPaymentDetail(m.merchant.id, piId);
    expect(detail?.mpesa.get(attemptId)).toEqual({ phone: '254712345678', receipt: 'SKL5ABC123' });
    const other = await merchantWithActors('Other duka');
    expect((await listMerchantPayments(other.m.merchant.id, { q: '0712345678' })).rows).toHaveLength(0);
  });
});

describe('payments list and CSV export', () => {
  it('searches by id, email and card last4, filters, pages, and exports the filtered set of this merchant only', async () => {
    const { m, api } = await merchantWithActors('Listy');
    const other = await merchantWithActors('Other');
    const paid = await paidPayment(api, 1_234, { receipt_email: 'Buyer@Example.test' });
    for (let i = 0; i < 3; i++)
      await api.post('/api/v1/payment_intents', { amount: 100 + i, currency: 'eur', receipt_email: `+cmd${i}@example.test` });
    await paidPayment(other.api, 999, { receipt_email: 'buyer@example.test' });

    const byEmail = await listMerchantPayments(m.merchant.id, parsePaymentFilters({ q: 'buyer@example.TEST' }));
    expect(byEmail.rows.map((r) => r.id)).toEqual([paid.id]);
    expect((await listMerchantPayments(m.merchant.id, { q: paid.id })).rows.map((r) => r.id)).toEqual([paid.id]);
    expect((await listMerchantPayments(m.merchant.id, { q: '4242' })).rows.map((r) => r.id)).toEqual([paid.id]);
    expect((await listMerchantPayments(m.merchant.id, { currency: 'eur' })).rows).toHaveLength(3);
    expect((await listMerchantPayments(m.merchant.id, { method: 'card', psp: 'sandbox_card' })).rows.map((r) => r.id)).toEqual([
      paid.id,
    ]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await listMerchantPayments(m.merchant.id, { from: today, to: today })).rows).toHaveLength(4);
    expect((await listMerchantPayments(m.merchant.id, { to: '2000-01-01' })).rows).toHaveLength(0);
    expect(parsePaymentFilters({ status: 'bogus', currency: 'USD', from: 'yesterday', q: '  ' })).toEqual({
      q: undefined,
      status: undefined,
      method: undefined,
      psp: undefined,
      currency: 'usd',
      from: undefined,
      to: undefined,
    });
    const page1 = await listMerchantPayments(m.merchant.id, { limit: 3 });
    const page2 = await listMerchantPayments(m.merchant.id, { limit: 3, before: page1.nextCursor! });
    expect([...page1.rows, ...page2.rows].map((r) => r.id)).toHaveLength(4);
    expect(page2.nextCursor).toBeNull();

    // CSV: pages of 2 rows, every row of the filter, nothing of the other merchant, cells escaped.
    let csv = '';
    for await (const chunk of paymentsCsv(m.merchant.id, { currency: 'eur' }, 2)) csv += chunk;
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,created_utc,amount_minor,amount_received_minor,amount_refunded_minor,currency,status,customer_email,method,psp,card_brand,card_last4',
    );
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.includes(',eur,'))).toBe(true);
    // a formula-looking email is neutralised
    expect(csv).toContain(",'+cmd0@example.test,");
    let all = '';
    for await (const chunk of paymentsCsv(m.merchant.id, {})) all += chunk;
    expect(all).toContain(paid.id);
    expect(all.trimEnd().split('\r\n')).toHaveLength(5);
    expect(all).not.toMatch(/999/);
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe('');
  });
});

describe('webhook endpoints from the dashboard', () => {
  it('developers create (secret once), edit events, disable, enable and delete; each audited', async () => {
    const { m, developer } = await merchantWithActors();
    const created = await createEndpoint(developer, {
      url: 'https://example.test/hook',
      enabled_events: ['payment_intent.succeeded'],
    });
    expect(created.secret).toMatch(/^whsec_/);
    await updateEndpoint(developer, { endpointId: created.id, enabledEvents: ['refund.created', 'refund.succeeded'] });
    let [endpoint] = await listEndpoints(m.merchant.id);
    expect(endpoint).toMatchObject({ id: created.id, enabledEvents: ['refund.created', 'refund.succeeded'], status: 'enabled' });
    expect(endpoint).not.toHaveProperty('secret');
    await setEndpointEnabled(developer, { endpointId: created.id, enabled: false });
    [endpoint] = await listEndpoints(m.merchant.id);
    expect(endpoint?.status).toBe('disabled');
    expect((await getOverview(m.merchant.id)).problems.endpoints.map((e) => e.id)).toEqual([created.id]);
    await setEndpointEnabled(developer, { endpointId: created.id, enabled: true });
    expect((await listEndpoints(m.merchant.id))[0]?.status).toBe('enabled');
    await deleteEndpoint(developer, { endpointId: created.id });
    expect(await listEndpoints(m.merchant.id)).toEqual([]);
    const actions = (await getDb().select().from(auditLog).where(eq(auditLog.merchantId, m.merchant.id)))
      .map((a) => a.action)
      .sort();
    expect(actions).toEqual([
      'webhook_endpoint.create',
      'webhook_endpoint.delete',
      'webhook_endpoint.disable',
      'webhook_endpoint.enable',
      'webhook_endpoint.update',
    ]);
  });

  it('redelivers an event now, logs every attempt with its status code and latency, audited; not another merchant’s event', async () => {
    const a = await merchantWithActors('A');
    const b = await merchantWithActors('B');
    // The test app answers 404 on this path: a failing receiver.
    await createEndpoint(a.developer, { url: `${app.url}/no-such-hook`, enabled_events: ['*'] });
    const pi = await paidPayment(a.api, 1_500);
    const [event] = (await getMerchantPaymentDetail(a.m.merchant.id, pi.id))!.events.filter(
      (e) => e.type === 'payment_intent.succeeded',
    );
    expect((await redeliver(a.developer, { eventId: event!.id })).attempts).toBe(1);
    const log = await listDeliveryLog(a.m.merchant.id);
    const delivery = log.rows.find((r) => r.eventId === event!.id);
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({ trigger: 'manual', statusCode: 404, latencyMs: expect.any(Number) }),
    ]);
    expect((await listEndpoints(a.m.merchant.id))[0]?.failedDeliveries).toBeGreaterThan(0);
    expect(await auditOf(a.m.merchant.id, 'webhook_event.redeliver')).toHaveLength(1);
    expect((await refusal(redeliver(b.owner, { eventId: event!.id }))).code).toBe('resource_missing');
    expect((await refusal(redeliver(a.viewer, { eventId: event!.id }))).code).toBe('forbidden');
  });

  it('validates the URL and the events', async () => {
    const { owner } = await merchantWithActors();
    expect((await refusal(createEndpoint(owner, { url: 'ftp://example.test', enabled_events: ['*'] }))).code).toBe(
      'parameter_invalid',
    );
    expect((await refusal(createEndpoint(owner, { url: 'https://example.test', enabled_events: [] }))).code).toBe(
      'parameter_invalid',
    );
    expect((await refusal(createEndpoint(owner, { url: 'https://example.test', enabled_events: ['nope'] }))).code).toBe(
      'parameter_invalid',
    );
  });

  it('viewers cannot change webhooks; another merchant’s endpoint and dead letter are not found', async () => {
    const a = await merchantWithActors('A');
    const b = await merchantWithActors('B');
    const created = await createEndpoint(a.owner, { url: 'https://example.test/a', enabled_events: ['*'] });
    expect((await refusal(createEndpoint(a.viewer, { url: 'https://example.test/v', enabled_events: ['*'] }))).code).toBe(
      'forbidden',
    );
    expect((await refusal(deleteEndpoint(a.viewer, { endpointId: created.id }))).code).toBe('forbidden');
    expect((await refusal(setEndpointEnabled(a.viewer, { endpointId: created.id, enabled: false }))).code).toBe('forbidden');
    for (const run of [
      () => updateEndpoint(b.owner, { endpointId: created.id, enabledEvents: ['*'] }),
      () => setEndpointEnabled(b.owner, { endpointId: created.id, enabled: false }),
      () => deleteEndpoint(b.owner, { endpointId: created.id }),
    ]) {
      expect((await refusal(run())).code).toBe('resource_missing');
    }
    const [still] = await getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, created.id));
    expect(still).toMatchObject({ status: 'enabled', deletedAt: null });

    const letterId = `dl_${randomUUID()}`;
    await getDb()
      .insert(deadLetters)
      .values({
        id: letterId,
        runId: `run_${randomUUID()}`,
        functionId: 'paykit-deliver-webhook',
        eventName: 'paykit/event',
        payload: {},
        error: { message: 'boom' },
        merchantId: a.m.merchant.id,
      });
    expect((await refusal(replayDeadLetterAction(b.owner, { deadLetterId: letterId }, deadLetterReplayer()))).code).toBe('resource_missing');
    expect((await refusal(replayDeadLetterAction(a.viewer, { deadLetterId: letterId }, deadLetterReplayer()))).code).toBe('forbidden');
    expect((await getOverview(a.m.merchant.id)).problems.deadLetters.map((d) => d.id)).toEqual([letterId]);
    expect((await getOverview(b.m.merchant.id)).problems.deadLetters).toEqual([]);
    expect((await listDeliveryLog(b.m.merchant.id)).rows).toEqual([]);
  });
});

describe('risk settings and blocklist from the dashboard', () => {
  const valid = {
    maxAttemptsPerIpPerDay: '7',
    maxAttemptsPerCardPerDay: '9',
    maxAttemptsPerEmailPerDay: '11',
    reviewThresholdPercent: '75',
    ceilings: { usd: '2,500.00', jpy: '300000', eur: '' },
  };

  it('an owner saves validated thresholds and ceilings per currency (minor units), audited', async () => {
    const { m, owner } = await merchantWithActors();
    await updateRiskSettings(owner, valid);
    expect(await getRiskSettings(getDb(), m.merchant.id)).toEqual({
      maxAttemptsPerIpPerDay: 7,
      maxAttemptsPerCardPerDay: 9,
      maxAttemptsPerEmailPerDay: 11,
      reviewThresholdPercent: 75,
      amountCeilings: { usd: 250_000, jpy: 300_000 },
    });
    expect(await auditOf(m.merchant.id, 'risk.settings_update')).toHaveLength(1);
    for (const bad of [
      { ...valid, maxAttemptsPerIpPerDay: '0' },
      { ...valid, maxAttemptsPerCardPerDay: '2.5' },
      { ...valid, maxAttemptsPerEmailPerDay: 'lots' },
      { ...valid, reviewThresholdPercent: '101' },
      { ...valid, ceilings: { usd: '-5' } },
      { ...valid, ceilings: { xyz: '10' } },
    ]) {
      expect((await refusal(updateRiskSettings(owner, bad))).code).toBe('parameter_invalid');
    }
    expect((await getRiskSettings(getDb(), m.merchant.id)).maxAttemptsPerIpPerDay).toBe(7);
  });

  it('viewers and developers cannot change risk; nothing is saved', async () => {
    const { m, viewer, developer } = await merchantWithActors();
    for (const actor of [viewer, developer]) {
      expect((await refusal(updateRiskSettings(actor, valid))).code).toBe('forbidden');
      expect((await refusal(addBlocklist(actor, { kind: 'email', value: 'x@example.test' }))).code).toBe('forbidden');
    }
    expect(await getDb().select().from(riskSettings).where(eq(riskSettings.merchantId, m.merchant.id))).toEqual([]);
  });

  it('adds (validated, normalised, once) and removes blocklist entries; the risk check uses them', async () => {
    const { m, api, owner } = await merchantWithActors();
    const added = await addBlocklist(owner, { kind: 'email', value: '  Fraud@Example.TEST ', reason: 'chargebacks' });
    expect(added.created).toBe(true);
    expect(await addBlocklist(owner, { kind: 'email', value: 'fraud@example.test' })).toEqual({ id: added.id, created: false });
    expect((await refusal(addBlocklist(owner, { kind: 'ip', value: '999.1.1.1' }))).code).toBe('parameter_invalid');
    expect((await refusal(addBlocklist(owner, { kind: 'email', value: 'not-an-email' }))).code).toBe('parameter_invalid');
    expect((await refusal(addBlocklist(owner, { kind: 'country', value: 'x' }))).code).toBe('parameter_invalid');
    await addBlocklist(owner, { kind: 'ip', value: '2001:db8::1' });
    expect(await auditOf(m.merchant.id, 'blocklist.add')).toHaveLength(2);

    const pi = (await api.post('/api/v1/payment_intents', { amount: 500, currency: 'usd', receipt_email: 'fraud@example.test' }))
      .body;
    const res = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(402);
    const blocked = await listBlockedAttempts(m.merchant.id);
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ paymentIntentId: pi.id, reasons: expect.arrayContaining(['blocklisted_email']) });

    await removeBlocklist(owner, { entryId: added.id });
    expect(await getDb().select().from(blocklistEntries).where(eq(blocklistEntries.id, added.id))).toEqual([]);
    expect(await auditOf(m.merchant.id, 'blocklist.remove')).toHaveLength(1);
    expect((await refusal(removeBlocklist(owner, { entryId: added.id }))).code).toBe('resource_missing');
  });

  it('another merchant’s blocklist entry is not found, and stays', async () => {
    const a = await merchantWithActors('A');
    const b = await merchantWithActors('B');
    const added = await addBlocklist(a.owner, { kind: 'ip', value: '198.51.100.4' });
    expect((await refusal(removeBlocklist(b.owner, { entryId: added.id }))).code).toBe('resource_missing');
    expect(await getDb().select().from(blocklistEntries).where(eq(blocklistEntries.id, added.id))).toHaveLength(1);
  });
});

describe('overview and balances', () => {
  it('shows 14 days of volume and success rate, balances, recent payments and the fee schedule', async () => {
    const { m, api } = await merchantWithActors();
    await paidPayment(api, 2_000);
    const declined = (await api.post('/api/v1/payment_intents', { amount: 300, currency: 'usd' })).body;
    await api.post(`/api/v1/payment_intents/${declined.id}/confirm`, { payment_method: 'pm_card_chargeDeclined' });
    const overview = await getOverview(m.merchant.id);
    expect(overview.days).toHaveLength(14);
    const today = overview.days.at(-1)!;
    expect(today.day).toBe(new Date().toISOString().slice(0, 10));
    expect(today.volume).toEqual({ usd: 2_000 });
    expect(today).toMatchObject({ succeeded: 1, failed: 1, successRate: 0.5 });
    expect(overview.days.slice(0, 13).every((d) => d.successRate === null)).toBe(true);
    expect(overview.currencies).toEqual(['usd']);
    expect(overview.recentPayments).toHaveLength(2);

    const view = await getBalancesView(m.merchant.id);
    expect(view.fees.find((f) => f.currency === 'usd')?.schedule).toEqual({ percentBps: 290, fixedMinor: 30 });
    expect(view.fees.find((f) => f.currency === 'jpy')?.schedule).toEqual({ percentBps: 360, fixedMinor: 0 });
  });
});
