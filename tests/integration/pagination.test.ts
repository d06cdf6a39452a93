import { randomBytes } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { auditLog, deadLetters, outboxEvents, paymentIntents, webhookDeliveries, webhookEndpoints } from '@/db/schema';
import { listAudit } from '@/lib/audit';
import { listMerchantPayments } from '@/lib/dashboard/payments';
import { listDeliveryLog } from '@/lib/dashboard/webhooks';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Every list pages by (created_at, id), newest first. Rows that share a created_at (one
 * transaction writes several; now() is the transaction's start) must neither be skipped nor
 * repeated at a page boundary, and Postgres keeps microseconds that a JS Date does not.
 */

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const SAME_INSTANT = new Date('2026-03-01T12:00:00.000Z');
const uid = () => randomBytes(8).toString('hex');

/** Follows a pager to its end; fails if it loops. */
async function walk<T>(fetchPage: (cursor: string | null) => Promise<{ ids: T[]; next: string | null }>): Promise<T[]> {
  const seen: T[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const { ids, next } = await fetchPage(cursor);
    seen.push(...ids);
    if (!next) return seen;
    cursor = next;
  }
  throw new Error('pager did not end');
}

const apiWalk = (api: ReturnType<typeof apiClient>, path: string) =>
  walk<string>(async (cursor) => {
    const res = await api.get(`${path}?limit=2${cursor ? `&starting_after=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const ids = (res.body.data as { id: string }[]).map((d) => d.id);
    return { ids, next: res.body.has_more ? ids.at(-1)! : null };
  });

describe('rows sharing a created_at across a page boundary', () => {
  it('the audit log lists each entry once', async () => {
    const { merchant } = await createTestMerchant();
    const ids = Array.from({ length: 5 }, () => `aud_${uid()}`);
    await getDb()
      .insert(auditLog)
      .values(ids.map((id) => ({ id, merchantId: merchant.id, action: 'test.same_instant', createdAt: SAME_INSTANT })));
    const seen = await walk(async (cursor) => {
      const page = await listAudit(merchant.id, { limit: 2, before: cursor ?? undefined });
      return { ids: page.rows.map((r) => r.id), next: page.nextCursor };
    });
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it('GET /api/v1/dead_letters lists each dead letter once', async () => {
    const m = await createTestMerchant();
    const ids = Array.from({ length: 5 }, () => `dl_${uid()}`);
    await getDb()
      .insert(deadLetters)
      .values(
        ids.map((id) => ({ id, runId: `run_${id}`, functionId: 'f', eventName: 'e', payload: {}, error: {}, merchantId: m.merchant.id, createdAt: SAME_INSTANT })),
      );
    const api = apiClient(app, m.secretKey);
    const seen = await apiWalk(api, '/api/v1/dead_letters');
    expect(seen).toEqual([...ids].sort().reverse());
    // and back: the two just newer than the oldest, still newest first
    const back = await api.get(`/api/v1/dead_letters?limit=2&ending_before=${seen[4]}`);
    expect(back.body.data.map((d: { id: string }) => d.id)).toEqual([seen[2], seen[3]]);
    expect(back.body.has_more).toBe(true);
  });

  it('the webhook delivery log lists each delivery once', async () => {
    const { merchant } = await createTestMerchant();
    const endpointId = `we_${uid()}`;
    await getDb()
      .insert(webhookEndpoints)
      .values({ id: endpointId, merchantId: merchant.id, url: 'https://example.com/hook', enabledEvents: ['*'], secret: 'whsec_test' });
    const events = Array.from({ length: 5 }, () => `evt_${uid()}`);
    await getDb()
      .insert(outboxEvents)
      .values(events.map((id) => ({ id, merchantId: merchant.id, type: 'payment_intent.created', aggregateType: 'payment_intent', aggregateId: 'pi_x', data: {} })));
    const ids = events.map(() => `wd_${uid()}`);
    await getDb()
      .insert(webhookDeliveries)
      .values(ids.map((id, i) => ({ id, merchantId: merchant.id, eventId: events[i]!, endpointId, createdAt: SAME_INSTANT })));
    const seen = await walk(async (cursor) => {
      const page = await listDeliveryLog(merchant.id, { limit: 2, before: cursor ?? undefined });
      return { ids: page.rows.map((r) => r.id), next: page.nextCursor };
    });
    expect(seen).toEqual([...ids].sort().reverse());
  });
});

describe('rows within one millisecond (Postgres keeps microseconds)', () => {
  it('payment intents page in (created_at, id) order without skipping, in the API and the dashboard', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.post('/api/v1/payment_intents', { amount: 100 + i, currency: 'usd' })).body.id);
    // 100 µs apart: the same millisecond, so a cursor read into a JS Date lands before all of them
    await getDb()
      .update(paymentIntents)
      .set({ createdAt: sql`timestamptz '2026-03-01 12:00:00.000100+00' + (right(${paymentIntents.amount}::text, 1)::int * interval '100 microseconds')` })
      .where(inArray(paymentIntents.id, ids));
    const newestFirst = [...ids].reverse();
    expect(await apiWalk(api, '/api/v1/payment_intents')).toEqual(newestFirst);
    const dashboard = await walk(async (cursor) => {
      const page = await listMerchantPayments(m.merchant.id, { limit: 2, before: cursor ?? undefined });
      return { ids: page.rows.map((r) => r.id), next: page.nextCursor };
    });
    expect(dashboard).toEqual(newestFirst);
  });
});

describe('ending_before and the shared list parameters', () => {
  it('pages back toward newer objects, each page newest first', async () => {
    const m = await createTestMerchant();
    const api = apiClient(app, m.secretKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.post('/api/v1/payment_intents', { amount: 100 + i, currency: 'usd' })).body.id);
    // newest first: ids[4], ids[3], ids[2], ids[1], ids[0]
    const before1 = await api.get(`/api/v1/payment_intents?limit=2&ending_before=${ids[1]}`);
    expect(before1.status).toBe(200);
    expect(before1.body.data.map((p: { id: string }) => p.id)).toEqual([ids[3], ids[2]]);
    expect(before1.body.has_more).toBe(true);
    const before3 = await api.get(`/api/v1/payment_intents?limit=2&ending_before=${ids[3]}`);
    expect(before3.body.data.map((p: { id: string }) => p.id)).toEqual([ids[4]]);
    expect(before3.body.has_more).toBe(false);
  });

  it.each(['/api/v1/payment_intents', '/api/v1/refunds', '/api/v1/webhook_endpoints', '/api/v1/dead_letters', '/api/v1/events', '/api/v1/balance_transactions'])(
    '%s refuses limit outside 1..100 and starting_after with ending_before, naming the param',
    async (path) => {
      const api = apiClient(app, (await createTestMerchant()).secretKey);
      for (const [query, param] of [
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['starting_after=a_1&ending_before=a_2', 'ending_before'],
      ] as const) {
        const res = await api.get(`${path}?${query}`);
        expect(res.status, `${path}?${query}`).toBe(400);
        expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
      }
    },
  );
});
