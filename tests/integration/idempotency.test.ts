import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { idempotencyKeys, paymentIntents, sandboxCardPayments } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { withIdempotency, withIdempotentCall } from '@/lib/idempotency';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  merchant = await createTestMerchant();
  api = apiClient(app, merchant.secretKey);
});
afterAll(() => app.close());

const countIntents = async () =>
  (await getDb().select({ n: sql<number>`count(*)::int` }).from(paymentIntents).where(eq(paymentIntents.merchantId, merchant.merchant.id)))[0]!.n;

describe('Idempotency-Key on the public API', () => {
  it('replays the stored status and body for the same key and body, with Idempotent-Replayed', async () => {
    const body = { amount: 1234, currency: 'usd', metadata: { a: '1', b: '2' } };
    const first = await api.post('/api/v1/payment_intents', body, { idempotencyKey: 'key-replay-1' });
    const before = await countIntents();
    // same body with keys in another order is the same request
    const second = await api.post('/api/v1/payment_intents', { metadata: { b: '2', a: '1' }, currency: 'usd', amount: 1234 }, { idempotencyKey: 'key-replay-1' });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await countIntents()).toBe(before);
  });

  it('refuses the same key with a different body: 400 idempotency_error, nothing created', async () => {
    await api.post('/api/v1/payment_intents', { amount: 100, currency: 'usd' }, { idempotencyKey: 'key-conflict' });
    const before = await countIntents();
    const res = await api.post('/api/v1/payment_intents', { amount: 101, currency: 'usd' }, { idempotencyKey: 'key-conflict' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    expect(await countIntents()).toBe(before);
  });

  it('refuses the same key on another endpoint', async () => {
    await api.post('/api/v1/payment_intents', { amount: 100, currency: 'usd' }, { idempotencyKey: 'key-endpoint' });
    const res = await api.post(
      '/api/v1/checkout/sessions',
      { amount: 100, currency: 'usd' , success_url: 'https://a.example/s', cancel_url: 'https://a.example/c' },
      { idempotencyKey: 'key-endpoint' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('idempotency_error');
  });

  it('does not store a request that failed validation', async () => {
    const bad = await api.post('/api/v1/payment_intents', { amount: -1, currency: 'usd' }, { idempotencyKey: 'key-validation' });
    expect(bad.status).toBe(400);
    const rows = await getDb().select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'key-validation'));
    expect(rows).toHaveLength(0);
    const good = await api.post('/api/v1/payment_intents', { amount: 1, currency: 'usd' }, { idempotencyKey: 'key-validation' });
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keys are per merchant: another merchant may use the same key', async () => {
    const other = apiClient(app, (await createTestMerchant()).secretKey);
    await api.post('/api/v1/payment_intents', { amount: 5, currency: 'usd' }, { idempotencyKey: 'shared-key' });
    const res = await other.post('/api/v1/payment_intents', { amount: 6, currency: 'usd' }, { idempotencyKey: 'shared-key' });
    expect(res.status).toBe(200);
    expect(res.body.amount).toBe(6);
  });

  it('replays a decline without charging again', async () => {
    const pi = (await api.post('/api/v1/payment_intents', { amount: 700, currency: 'usd' })).body;
    const path = `/api/v1/payment_intents/${pi.id}/confirm`;
    const first = await api.post(path, { payment_method: 'pm_card_chargeDeclined' }, { idempotencyKey: 'confirm-decline' });
    const payments = (await getDb().select().from(sandboxCardPayments)).length;
    const second = await api.post(path, { payment_method: 'pm_card_chargeDeclined' }, { idempotencyKey: 'confirm-decline' });
    expect(first.status).toBe(402);
    expect(second.status).toBe(402);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await getDb().select().from(sandboxCardPayments)).toHaveLength(payments);
  });

  it('a replayed confirm does not charge twice', async () => {
    const pi = (await api.post('/api/v1/payment_intents', { amount: 900, currency: 'usd' })).body;
    const path = `/api/v1/payment_intents/${pi.id}/confirm`;
    const first = await api.post(path, { payment_method: 'pm_card_visa' }, { idempotencyKey: 'confirm-ok' });
    const second = await api.post(path, { payment_method: 'pm_card_visa' }, { idempotencyKey: 'confirm-ok' });
    expect(first.body.status).toBe('succeeded');
    expect(second.body).toEqual(first.body);
    const attempts = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from payment_attempts where payment_intent_id = ${pi.id}`);
    expect(attempts[0]?.n).toBe(1);
  });

  it('rejects a malformed key', async () => {
    const res = await api.post('/api/v1/payment_intents', { amount: 5, currency: 'usd' }, { idempotencyKey: 'has space' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('idempotency_key_invalid');
  });
});

describe('withIdempotency', () => {
  const scope = (key: string, body: unknown = { x: 1 }) => ({ merchantId: merchant.merchant.id, key, endpoint: 'POST /test', body });

  it('answers a concurrent request with the same key with 409, and the first completes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = withIdempotentCall(scope('concurrent'), async () => {
      await gate;
      return { status: 200, body: { ok: 1 } };
    });
    await new Promise((r) => setTimeout(r, 50));
    await expect(withIdempotentCall(scope('concurrent'), async () => ({ status: 200, body: { ok: 2 } }))).rejects.toMatchObject({
      code: 'idempotency_key_in_use',
      status: 409,
    });
    release();
    expect(await first).toEqual({ status: 200, body: { ok: 1 }, bodyJson: '{"ok":1}', replayed: false });
    expect(await withIdempotentCall(scope('concurrent'), async () => ({ status: 200, body: { ok: 3 } }))).toEqual({
      status: 200,
      body: { ok: 1 },
      bodyJson: '{"ok":1}',
      replayed: true,
    });
  });

  it('of many simultaneous identical requests, exactly one runs', async () => {
    let runs = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        withIdempotency(scope('stampede'), async () => {
          runs++;
          await new Promise((r) => setTimeout(r, 30));
          return { status: 200, body: { n: 1 } };
        }),
      ),
    );
    expect(runs).toBe(1);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of rejected) expect((r.reason as AppError).code).toBe('idempotency_key_in_use');
  });

  it('does not store a 5xx outcome or an unknown error, so a retry runs again', async () => {
    await expect(withIdempotentCall(scope('boom'), async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    const again = await withIdempotentCall(scope('boom'), async () => ({ status: 200, body: { fine: true } }));
    expect(again).toEqual({ status: 200, body: { fine: true }, bodyJson: '{"fine":true}', replayed: false });
    const five = await withIdempotentCall(scope('five'), async () => ({ status: 502, body: { error: 'psp' } }));
    expect(five.status).toBe(502);
    expect(await getDb().select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'five'))).toHaveLength(0);
  });

  it('rolls back an atomic handler’s writes when it fails, and frees the key', async () => {
    const id = 'pi_rollbacktest000000000000';
    await expect(
      withIdempotency(scope('atomic-fail'), async (tx) => {
        await tx.insert(paymentIntents).values({ id, merchantId: merchant.merchant.id, amount: 1, currency: 'usd', status: 'requires_payment_method', captureMethod: 'automatic' });
        throw new Error('crash after write');
      }),
    ).rejects.toThrow('crash after write');
    expect(await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, id))).toHaveLength(0);
    expect(await getDb().select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'atomic-fail'))).toHaveLength(0);
  });

  it('forgets keys after 24 hours', async () => {
    await withIdempotentCall(scope('old', { v: 1 }), async () => ({ status: 200, body: { v: 1 } }));
    await getDb()
      .update(idempotencyKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(and(eq(idempotencyKeys.merchantId, merchant.merchant.id), eq(idempotencyKeys.key, 'old')));
    const fresh = await withIdempotentCall(scope('old', { v: 2 }), async () => ({ status: 200, body: { v: 2 } }));
    expect(fresh).toEqual({ status: 200, body: { v: 2 }, bodyJson: '{"v":2}', replayed: false });
  });

  it('lets a retry take over a key whose request died mid-way', async () => {
    await getDb().insert(idempotencyKeys).values({
      merchantId: merchant.merchant.id,
      key: 'orphan',
      endpoint: 'POST /test',
      requestHash: (await import('@/lib/idempotency')).requestHash('POST /test', { x: 1 }),
      state: 'in_progress',
      lockedUntil: new Date(Date.now() - 1000),
      expiresAt: new Date(Date.now() + 3600_000),
    });
    const res = await withIdempotentCall(scope('orphan'), async () => ({ status: 200, body: { recovered: true } }));
    expect(res).toEqual({ status: 200, body: { recovered: true }, bodyJson: '{"recovered":true}', replayed: false });
  });
});
