import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { loginAttempts, userAccess } from '@/db/schema';
import { listAudit } from '@/lib/audit';
import { listApiKeys } from '@/lib/auth/api-keys';
import { isAttemptAllowed, LOGIN_LIMIT } from '@/lib/auth/login-rate-limit';
import { attemptLogin } from '@/lib/auth/users';
import { signUp } from '@/lib/team/signup';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

let ipCounter = 1;
const freshIp = () => `203.0.113.${ipCounter++}`;
const email = (tag: string) => `${tag}-${Math.random().toString(36).slice(2)}@example.test`;

describe('sign-in rate limiting', () => {
  it(`refuses an email after ${LOGIN_LIMIT.maxFailures} failures, even with the right password and from another IP`, async () => {
    const m = await createTestMerchant('Limited Shop');
    for (let i = 0; i < LOGIN_LIMIT.maxFailures; i++) {
      // a different IP each time: the per-email counter alone must trip
      expect(await attemptLogin({ email: m.email, password: 'wrong-password', ip: freshIp() })).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await attemptLogin({ email: m.email.toUpperCase(), password: m.password, ip: freshIp() })).toEqual({ ok: false, reason: 'rate_limited' });
    // the window is persisted: a "later" check (past the window) allows again
    expect(await isAttemptAllowed({ kind: 'login', email: m.email, ip: null }, new Date(Date.now() + LOGIN_LIMIT.windowMs + 1000))).toBe(true);
  });

  it('refuses an IP after too many failures across different emails, while other IPs still sign in', async () => {
    const m = await createTestMerchant('IP Shop');
    const ip = freshIp();
    for (let i = 0; i < LOGIN_LIMIT.maxFailures; i++) await attemptLogin({ email: email('nobody'), password: 'whatever-pass', ip });
    expect(await attemptLogin({ email: m.email, password: m.password, ip })).toEqual({ ok: false, reason: 'rate_limited' });
    const ok = await attemptLogin({ email: m.email, password: m.password, ip: freshIp() });
    expect(ok.ok).toBe(true);
  });

  it('audits a successful sign-in with its IP and stamps the last sign-in; failures are recorded', async () => {
    const m = await createTestMerchant('Audit Login Shop');
    const ip = freshIp();
    await attemptLogin({ email: m.email, password: 'nope-nope-nope', ip });
    const ok = await attemptLogin({ email: m.email, password: m.password, ip });
    expect(ok.ok).toBe(true);
    const { rows } = await listAudit(m.merchant.id);
    expect(rows.filter((r) => r.action === 'user.login')).toEqual([expect.objectContaining({ userId: m.userId, ip, actorEmail: m.email })]);
    const attempts = await getDb().select().from(loginAttempts).where(eq(loginAttempts.ip, ip));
    expect(attempts.map((a) => a.succeeded).sort()).toEqual([false, true]);
    const [access] = await getDb().select().from(userAccess).where(eq(userAccess.userId, m.userId));
    expect(access?.lastLoginAt).toBeInstanceOf(Date);
  });
});

describe('sign-up', () => {
  it('creates a merchant with its owner and a working first test key, audited', async () => {
    const ip = freshIp();
    const result = await signUp({ name: 'New Shop', email: email('Founder').toUpperCase(), password: 'long-enough-pw' }, { ip });
    expect(result.email).toBe(result.email.toLowerCase());
    expect(result.secretKey).toMatch(/^sk_test_/);
    expect((await apiClient(app, result.secretKey).get('/api/v1/payment_intents')).status).toBe(200);
    expect(await listApiKeys(result.merchantId)).toHaveLength(1);
    const login = await attemptLogin({ email: result.email, password: 'long-enough-pw', ip });
    expect(login).toMatchObject({ ok: true, user: { role: 'owner', merchantName: 'New Shop', merchantId: result.merchantId } });
    const { rows } = await listAudit(result.merchantId);
    expect(rows.map((r) => r.action).sort()).toEqual(['merchant.signup', 'user.login']);
  });

  it('validates name, email and a password of at least 10 characters, and refuses a taken email', async () => {
    const ip = freshIp();
    await expect(signUp({ name: 'X', email: email('short'), password: 'short' }, { ip })).rejects.toMatchObject({ code: 'parameter_invalid', param: 'password' });
    await expect(signUp({ name: ' ', email: email('blank'), password: 'long-enough-pw' }, { ip })).rejects.toMatchObject({ param: 'name' });
    await expect(signUp({ name: 'X', email: 'nope', password: 'long-enough-pw' }, { ip })).rejects.toMatchObject({ param: 'email' });
    const m = await createTestMerchant('Taken');
    await expect(signUp({ name: 'X', email: m.email, password: 'long-enough-pw' }, { ip })).rejects.toMatchObject({ param: 'email' });
  });

  it(`is rate limited per IP: at most ${LOGIN_LIMIT.maxFailures} sign-ups per window`, async () => {
    const ip = freshIp();
    for (let i = 0; i < LOGIN_LIMIT.maxFailures; i++) await signUp({ name: `Shop ${i}`, email: email('bulk'), password: 'long-enough-pw' }, { ip });
    await expect(signUp({ name: 'One more', email: email('bulk'), password: 'long-enough-pw' }, { ip })).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(signUp({ name: 'Elsewhere', email: email('bulk'), password: 'long-enough-pw' }, { ip: freshIp() })).resolves.toBeTruthy();
  });
});
