import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@/lib/audit';
import { createApiKey, listApiKeys, revokeApiKey, rollApiKey } from '@/lib/auth/api-keys';
import { findSessionUser } from '@/lib/auth/users';
import { listApiRequests } from '@/lib/http/request-log';
import type { Actor } from '@/lib/team/actor';
import { inviteMember } from '@/lib/team/members';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function merchantWithOwner(name: string) {
  const m = await createTestMerchant(name);
  const user = await findSessionUser(m.userId);
  if (!user) throw new Error('owner missing');
  const owner: Actor = { user, ip: '192.0.2.10' };
  return { m, owner };
}

async function member(owner: Actor, role: 'developer' | 'viewer'): Promise<Actor> {
  const invited = await inviteMember(owner, { email: `${role}-${Math.random().toString(36).slice(2)}@example.test`, role });
  return { user: (await findSessionUser(invited.userId))!, ip: '192.0.2.11' };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('API keys from the dashboard', () => {
  it('creates a key shown once that works on the API; rolling revokes the old one (401) and the new one works', async () => {
    const { m, owner } = await merchantWithOwner('Keys Shop');
    const created = await createApiKey(owner);
    expect(created.secretKey).toMatch(/^sk_test_/);
    expect(created.redacted).toBe(`${created.secretKey.slice(0, 12)}...${created.secretKey.slice(-4)}`);
    expect((await apiClient(app, created.secretKey).get('/api/v1/payment_intents')).status).toBe(200);

    const keys = await listApiKeys(m.merchant.id);
    expect(keys).toHaveLength(2);
    expect(JSON.stringify(keys)).not.toContain(created.secretKey);
    // last-used is stamped best effort, after the response
    const used = await until(() => listApiKeys(m.merchant.id), (ks) => ks.some((k) => k.id === created.id && k.lastUsedAt !== null));
    expect(used.find((k) => k.id === created.id)?.lastUsedAt).toBeInstanceOf(Date);

    const rolled = await rollApiKey(owner, { keyId: created.id });
    expect(rolled.id).not.toBe(created.id);
    const old = await apiClient(app, created.secretKey).get('/api/v1/payment_intents');
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('api_key_invalid');
    expect((await apiClient(app, rolled.secretKey).get('/api/v1/payment_intents')).status).toBe(200);
    await expect(rollApiKey(owner, { keyId: created.id })).rejects.toMatchObject({ code: 'resource_missing' });

    await revokeApiKey(owner, { keyId: rolled.id });
    expect((await apiClient(app, rolled.secretKey).get('/api/v1/payment_intents')).status).toBe(401);
    await expect(revokeApiKey(owner, { keyId: rolled.id })).rejects.toMatchObject({ code: 'resource_missing' });

    const after = await listApiKeys(m.merchant.id);
    expect(after.filter((k) => k.revokedAt === null).map((k) => k.id)).toEqual([keys.find((k) => k.id !== created.id)!.id]);
    const actions = (await listAudit(m.merchant.id)).rows.map((r) => [r.action, r.targetId]);
    expect(actions).toEqual(expect.arrayContaining([
      ['api_key.create', created.id],
      ['api_key.roll', created.id],
      ['api_key.revoke', rolled.id],
    ]));
  });

  it('developers manage keys; viewers cannot create, roll or revoke', async () => {
    const { m, owner } = await merchantWithOwner('Key Roles Shop');
    const dev = await member(owner, 'developer');
    const viewer = await member(owner, 'viewer');
    const devKey = await createApiKey(dev);
    await expect(createApiKey(viewer)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(rollApiKey(viewer, { keyId: devKey.id })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(revokeApiKey(viewer, { keyId: devKey.id })).rejects.toMatchObject({ code: 'forbidden' });
    expect((await listApiKeys(m.merchant.id)).filter((k) => !k.revokedAt)).toHaveLength(2);
    await revokeApiKey(dev, { keyId: devKey.id });
  });

  it('another merchant’s key id behaves as not found, and its key keeps working', async () => {
    const a = await merchantWithOwner('A Keys');
    const b = await merchantWithOwner('B Keys');
    const [bKey] = await listApiKeys(b.m.merchant.id);
    await expect(revokeApiKey(a.owner, { keyId: bKey!.id })).rejects.toMatchObject({ code: 'resource_missing' });
    await expect(rollApiKey(a.owner, { keyId: bKey!.id })).rejects.toMatchObject({ code: 'resource_missing' });
    await expect(revokeApiKey(a.owner, { keyId: '' })).rejects.toMatchObject({ code: 'parameter_invalid' });
    expect((await apiClient(app, b.m.secretKey).get('/api/v1/payment_intents')).status).toBe(200);
  });
});

describe('API request log', () => {
  it('records each API request of the merchant (method, path, status, latency, request id, key), newest first', async () => {
    const { m } = await merchantWithOwner('Log Shop');
    const api = apiClient(app, m.secretKey);
    const created = await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd' });
    expect(created.status).toBe(200);
    const bad = await api.post('/api/v1/payment_intents', { amount: -1, currency: 'usd' });
    expect(bad.status).toBe(400);
    await api.get(`/api/v1/payment_intents/${created.body.id}`);
    const rows = await until(() => listApiRequests(m.merchant.id), (r) => r.length >= 3);
    expect(rows.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', `/api/v1/payment_intents/${created.body.id}`, 200],
      ['POST', '/api/v1/payment_intents', 400],
      ['POST', '/api/v1/payment_intents', 200],
    ]);
    expect(rows[2]!.requestId).toBe(created.headers.get('request-id'));
    expect(rows.every((r) => r.latencyMs >= 0 && r.apiKeyId)).toBe(true);
    const other = await merchantWithOwner('Other Log Shop');
    expect(await listApiRequests(other.m.merchant.id)).toEqual([]);
  });
});
