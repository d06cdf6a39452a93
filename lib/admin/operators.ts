import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx } from '@/db/client';
import { operatorAuditLog, operators, type Operator } from '@/db/schema';
import { isAttemptAllowed, recordAttempt } from '@/lib/auth/login-rate-limit';
import { generatePassword, hashPassword, verifyPassword } from '@/lib/auth/passwords';
import { AppError } from '@/lib/errors';
import { parseFormInput } from '@/lib/http/validation';
import { newId } from '@/lib/ids';

/** The signed-in platform operator, re-read from the database on every request. */
export interface SessionOperator {
  id: string;
  email: string;
}

export const createOperatorInput = z
  .object({
    email: z.string().trim().toLowerCase().email('email must be a valid address'),
    password: z.string().min(12, 'an operator password must be at least 12 characters').max(200).optional(),
  })
  .strict();

export interface CreatedOperator {
  operator: SessionOperator;
  /** Shown once; only its hash is stored. */
  password: string;
}

/** Creates a platform operator (`npm run admin -- operators create`), audited. */
export async function createOperator(input: z.input<typeof createOperatorInput>): Promise<CreatedOperator> {
  const { email, ...rest } = parseFormInput(createOperatorInput, input);
  const password = rest.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  return getDb().transaction(async (tx) => {
    const existing = await tx.select({ id: operators.id }).from(operators).where(sql`lower(${operators.email}) = ${email}`).limit(1);
    if (existing.length > 0) throw new AppError('parameter_invalid', `An operator with email ${email} already exists.`, { param: 'email' });
    const id = newId('operator');
    await tx.insert(operators).values({ id, email, passwordHash });
    await recordOperatorAudit(tx, { operatorId: null, actorEmail: null, action: 'operator.create', targetType: 'operator', targetId: id, ip: null, details: { email, via: 'cli' } });
    return { operator: { id, email }, password };
  });
}

export async function listOperators(): Promise<Operator[]> {
  return getDb().select().from(operators).orderBy(operators.createdAt);
}

/** Re-reads the operator behind a session; a deleted or disabled operator has no session. */
export async function findSessionOperator(operatorId: string): Promise<SessionOperator | null> {
  const [row] = await getDb().select().from(operators).where(eq(operators.id, operatorId)).limit(1);
  if (!row || row.disabledAt) return null;
  return { id: row.id, email: row.email };
}

export interface OperatorAuditInput {
  operatorId: string | null;
  actorEmail: string | null;
  /** e.g. "operator.login", "dead_letter.replay" */
  action: string;
  merchantId?: string | null;
  targetType?: string;
  targetId?: string;
  ip: string | null;
  details?: Record<string, unknown>;
}

/** Records an operator's sign-in or console action; call it in the action's own transaction where there is one. */
export async function recordOperatorAudit(db: DbOrTx, entry: OperatorAuditInput): Promise<void> {
  await db.insert(operatorAuditLog).values({
    id: newId('operatorAuditEntry'),
    operatorId: entry.operatorId,
    actorEmail: entry.actorEmail,
    action: entry.action,
    merchantId: entry.merchantId ?? null,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: entry.ip,
    details: entry.details ?? {},
  });
}

export async function listOperatorAudit(limit = 50) {
  return getDb()
    .select()
    .from(operatorAuditLog)
    .orderBy(sql`${operatorAuditLog.createdAt} desc, ${operatorAuditLog.id} desc`)
    .limit(Math.min(Math.max(limit, 1), 200));
}

// A real bcrypt hash of a random string: an unknown email costs the same time as a known one.
const DUMMY_HASH = '$2b$10$CwTycUXWue0Thq9StjUM0uJ8.6bWvhSxYdxsO9LLlr3Q7CUObY0pK';

export type OperatorLoginOutcome = { ok: true; operator: SessionOperator } | { ok: false; reason: 'invalid' | 'rate_limited' };

/**
 * An operator sign-in: the same rate limit as the dashboard's (failures per email and per IP share
 * login_attempts, so guessing cannot alternate between the two doors), every outcome for a known
 * operator audited, a success stamping last_login_at.
 */
export async function attemptOperatorLogin(input: { email: string; password: string; ip: string | null }): Promise<OperatorLoginOutcome> {
  const subject = { kind: 'login' as const, email: input.email, ip: input.ip };
  if (!(await isAttemptAllowed(subject))) return { ok: false, reason: 'rate_limited' };
  const email = input.email.trim().toLowerCase();
  const [row] = await getDb().select().from(operators).where(sql`lower(${operators.email}) = ${email}`).limit(1);
  const passwordOk = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_HASH);
  const ok = row !== undefined && passwordOk && row.disabledAt === null;
  await recordAttempt({ ...subject, succeeded: ok });
  if (!row) return { ok: false, reason: 'invalid' };
  const base = { operatorId: row.id, actorEmail: row.email, targetType: 'operator', targetId: row.id, ip: input.ip };
  if (!ok) {
    await recordOperatorAudit(getDb(), { ...base, action: 'operator.login_failed', details: { reason: passwordOk ? 'disabled' : 'wrong_password' } });
    return { ok: false, reason: 'invalid' };
  }
  await getDb().transaction(async (tx) => {
    await tx.update(operators).set({ lastLoginAt: new Date() }).where(eq(operators.id, row.id));
    await recordOperatorAudit(tx, { ...base, action: 'operator.login' });
  });
  return { ok: true, operator: { id: row.id, email: row.email } };
}
