import { spawn } from 'node:child_process';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { operatorAuditLog, operators } from '@/db/schema';
import { attemptOperatorLogin, createOperator, findSessionOperator, listOperatorAudit } from '@/lib/admin/operators';
import { operatorOfSession } from '@/lib/admin/session';
import { authOptions, type PaykitSession } from '@/lib/auth/next-auth';
import { verifyPassword } from '@/lib/auth/passwords';
import { attemptLogin } from '@/lib/auth/users';
import { createTestMerchant } from '../helpers/test-app';

const TSX = path.resolve('node_modules/.bin/tsx');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run admin -- ...` against this file's database, optionally with stdin. */
function admin(args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['scripts/admin.ts', ...args], { env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

let ipCounter = 1;
const freshIp = () => `198.51.100.${ipCounter++}`;
const uniqueEmail = (tag: string) => `${tag}-${Math.random().toString(36).slice(2)}@ops.test`;

describe('operators CLI', () => {
  it('operators create --json prints the operator and a one-time password that signs in', async () => {
    const result = await admin(['operators', 'create', '--email', 'Root@Ops.test', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const created = JSON.parse(result.stdout) as { operator_id: string; email: string; password: string };
    expect(created.operator_id).toMatch(/^opr_[0-9A-Za-z]{24}$/);
    expect(created.email).toBe('root@ops.test');
    const [row] = await getDb().select().from(operators).where(eq(operators.id, created.operator_id));
    expect(row?.passwordHash).not.toContain(created.password);
    expect(await verifyPassword(created.password, row!.passwordHash)).toBe(true);
    const login = await attemptOperatorLogin({ email: 'ROOT@ops.test', password: created.password, ip: freshIp() });
    expect(login).toEqual({ ok: true, operator: { id: created.operator_id, email: 'root@ops.test' } });
  });

  it('--password-stdin takes the password from stdin and does not echo it', async () => {
    const email = uniqueEmail('stdin');
    const result = await admin(['operators', 'create', '--email', email, '--password-stdin', '--json'], 'a-long-operator-secret\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('a-long-operator-secret');
    expect((JSON.parse(result.stdout) as { password: unknown }).password).toBeNull();
    expect((await attemptOperatorLogin({ email, password: 'a-long-operator-secret', ip: freshIp() })).ok).toBe(true);
  });

  it('refuses a duplicate email (exit 1) and a short stdin password, and lists operators', async () => {
    const first = await createOperator({ email: uniqueEmail('first') });
    const dup = await admin(['operators', 'create', '--email', first.operator.email.toUpperCase()]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const short = await admin(['operators', 'create', '--email', uniqueEmail('short'), '--password-stdin'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const list = await admin(['operators', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ id: first.operator.id, email: first.operator.email, disabled: false }));
    expect((await admin(['operators', 'create'])).code).toBe(2);
    expect((await admin(['operators', 'frobnicate'])).code).toBe(2);
  }, 120_000);
});

describe('operator sign-in', () => {
  it('audits a sign-in with its IP and stamps last_login_at; a wrong password is audited as failed', async () => {
    const { operator, password } = await createOperator({ email: uniqueEmail('audit') });
    const ip = freshIp();
    expect(await attemptOperatorLogin({ email: operator.email, password: 'wrong-password-here', ip })).toEqual({ ok: false, reason: 'invalid' });
    expect((await attemptOperatorLogin({ email: operator.email, password, ip })).ok).toBe(true);
    const mine = (await listOperatorAudit(200)).filter((e) => e.operatorId === operator.id);
    expect(mine.map((e) => e.action).sort()).toEqual(['operator.login', 'operator.login_failed']);
    expect(mine.every((e) => e.ip === ip)).toBe(true);
    const [row] = await getDb().select().from(operators).where(eq(operators.id, operator.id));
    expect(row?.lastLoginAt).toBeInstanceOf(Date);
  });

  it('the operator audit log is append-only', async () => {
    await createOperator({ email: uniqueEmail('append') }); // its creation is audited
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'changed',
        (err: { cause?: { message?: string } }) => err.cause?.message,
      );
    expect(await refusal(getDb().execute(sql`update operator_audit_log set action = 'x'`))).toMatch(/append-only/);
    expect(await refusal(getDb().delete(operatorAuditLog).where(sql`true`))).toMatch(/append-only/);
  });

  it('merchant credentials do not sign in as an operator, and operator credentials do not open a dashboard', async () => {
    const m = await createTestMerchant('Separate Shop');
    const { operator, password } = await createOperator({ email: uniqueEmail('sep') });
    expect(await attemptOperatorLogin({ email: m.email, password: m.password, ip: freshIp() })).toEqual({ ok: false, reason: 'invalid' });
    expect(await attemptLogin({ email: operator.email, password, ip: freshIp() })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a disabled operator cannot sign in and its live session stops working', async () => {
    const { operator, password } = await createOperator({ email: uniqueEmail('disabled') });
    const session: PaykitSession = { uid: operator.id, kind: 'operator' };
    expect(await operatorOfSession(session)).toEqual(operator);
    await getDb().update(operators).set({ disabledAt: new Date() }).where(eq(operators.id, operator.id));
    expect(await operatorOfSession(session)).toBeNull();
    expect(await findSessionOperator(operator.id)).toBeNull();
    expect(await attemptOperatorLogin({ email: operator.email, password, ip: freshIp() })).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('sessions name one kind of principal', () => {
  const jwt = authOptions.callbacks!.jwt! as (args: { token: Record<string, unknown>; user?: unknown }) => Record<string, unknown>;
  const session = authOptions.callbacks!.session! as unknown as (args: { session: Record<string, unknown>; token: Record<string, unknown> }) => PaykitSession;

  it("the operator provider's sign-in yields an operator session; the dashboard's a merchant session", async () => {
    const { operator, password } = await createOperator({ email: uniqueEmail('jwt') });
    const m = await createTestMerchant('Jwt Shop');
    const byId = (id: string) => authOptions.providers.find((p) => ((p as { options?: { id?: string } }).options?.id ?? p.id) === id) as unknown as {
      options: { authorize: (c: Record<string, string>, req: { headers: Record<string, string> }) => Promise<{ id: string; kind: string } | null> };
    };
    const req = { headers: { 'x-forwarded-for': freshIp() } };
    const opUser = await byId('operator').options.authorize({ email: operator.email, password }, req);
    expect(opUser).toMatchObject({ id: operator.id, kind: 'operator' });
    expect(await byId('operator').options.authorize({ email: m.email, password: m.password }, req)).toBeNull();
    const merchantUser = await byId('credentials').options.authorize({ email: m.email, password: m.password }, req);
    expect(merchantUser).toMatchObject({ id: m.userId, kind: 'merchant' });

    const opSession = session({ session: {}, token: jwt({ token: {}, user: opUser }) });
    expect(opSession).toMatchObject({ uid: operator.id, kind: 'operator' });
    expect(await operatorOfSession(opSession)).toEqual(operator);
    const merchantSession = session({ session: {}, token: jwt({ token: {}, user: merchantUser }) });
    expect(merchantSession).toMatchObject({ uid: m.userId, kind: 'merchant' });
    // a merchant user's session is never an operator's, even when it carries an operator's id
    expect(await operatorOfSession(merchantSession)).toBeNull();
    expect(await operatorOfSession({ uid: operator.id, kind: 'merchant' })).toBeNull();
    // a token from before operators existed (no kind) is a merchant's
    expect(session({ session: {}, token: { uid: m.userId } }).kind).toBe('merchant');
  });
});
