import { and, eq, gt, or, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '@/db/client';
import { blocklistEntries, mpesaPayments, paymentAttempts, riskSettings } from '@/db/schema';
import { env } from '@/lib/env';
import { assessRisk, DEFAULT_RISK_SETTINGS, MOBILE_MONEY_RISK_LIMITS, type RiskAssessment, type RiskSettings } from './rules';

export * from './rules';

export interface RiskCheckInput {
  merchantId: string;
  amount: number;
  currency: string;
  customerIp: string | null;
  customerEmail: string | null;
  cardFingerprint: string | null;
  pspRiskLevel: 'normal' | 'elevated' | 'highest' | null;
  /** Mobile money: the normalized phone number (MSISDN) the payment is requested from. */
  phone?: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function getRiskSettings(db: DbOrTx, merchantId: string): Promise<RiskSettings> {
  const [row] = await db.select().from(riskSettings).where(eq(riskSettings.merchantId, merchantId));
  if (!row) return DEFAULT_RISK_SETTINGS;
  return {
    maxAttemptsPerIpPerDay: row.maxAttemptsPerIpPerDay,
    maxAttemptsPerCardPerDay: row.maxAttemptsPerCardPerDay,
    maxAttemptsPerEmailPerDay: row.maxAttemptsPerEmailPerDay,
    amountCeilings: row.amountCeilings,
    reviewThresholdPercent: row.reviewThresholdPercent,
  };
}

export async function saveRiskSettings(db: DbOrTx, merchantId: string, settings: RiskSettings): Promise<void> {
  await db
    .insert(riskSettings)
    .values({ merchantId, ...settings })
    .onConflictDoUpdate({ target: riskSettings.merchantId, set: { ...settings, updatedAt: new Date() } });
}

/**
 * Evaluates the risk rules for one attempt. Call it inside the transaction that records the
 * attempt: it takes advisory locks on the attempt's IP, card and email, so two concurrent
 * attempts cannot both slip under a velocity limit.
 */
export async function checkRisk(tx: Tx, input: RiskCheckInput): Promise<RiskAssessment> {
  const lockKeys = [
    input.customerIp && `ip:${input.customerIp}`,
    input.cardFingerprint && `card:${input.cardFingerprint}`,
    input.customerEmail && `email:${input.customerEmail.toLowerCase()}`,
    input.phone && `phone:${input.phone}`,
  ].filter((k): k is string => Boolean(k));
  for (const key of lockKeys.sort()) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${input.merchantId}:${key}`}, 0))`);
  }
  const settings = await getRiskSettings(tx, input.merchantId);
  const since = new Date(Date.now() - DAY_MS);
  const count = async (condition: ReturnType<typeof sql>): Promise<number> => {
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(paymentAttempts)
      .where(and(eq(paymentAttempts.merchantId, input.merchantId), gt(paymentAttempts.createdAt, since), condition));
    return row?.n ?? 0;
  };
  const ipCounts = input.customerIp ? await ipVelocity(tx, input.merchantId, input.customerIp, since) : null;
  const attemptsWithCard = input.cardFingerprint
    ? await count(sql`(${paymentAttempts.card}->>'fingerprint') = ${input.cardFingerprint}`)
    : null;
  const attemptsWithEmail = input.customerEmail
    ? await count(sql`lower(${paymentAttempts.customerEmail}) = ${input.customerEmail.toLowerCase()}`)
    : null;
  const blocklisted = await findBlocklisted(tx, input);
  const phoneFacts = input.phone ? await phoneVelocity(tx, input.merchantId, input.phone, input.amount, since) : {};
  return assessRisk(
    {
      amount: input.amount,
      currency: input.currency,
      pspRiskLevel: input.pspRiskLevel,
      attemptsFromIp: ipCounts?.retries ?? null,
      totalAttemptsFromIp: ipCounts?.total ?? null,
      attemptsWithCard,
      attemptsWithEmail,
      blocklisted,
      ...phoneFacts,
    },
    settings,
    { maxTotalAttemptsPerIpPerDay: env().RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY },
  );
}

/**
 * The IP's attempts today, in one query: retries are every attempt that has not succeeded (failed,
 * blocked, canceled, and those still in flight: counting an in-flight attempt until it succeeds
 * means concurrent attempts cannot all slip under the limit); total counts successes too.
 */
async function ipVelocity(tx: Tx, merchantId: string, ip: string, since: Date) {
  const [row] = await tx
    .select({
      total: sql<number>`count(*)::int`,
      retries: sql<number>`count(*) filter (where ${paymentAttempts.status} not in ('succeeded', 'authorized'))::int`,
    })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.merchantId, merchantId), eq(paymentAttempts.customerIp, ip), gt(paymentAttempts.createdAt, since)));
  return { total: row?.total ?? 0, retries: row?.retries ?? 0 };
}

/** Mobile-money velocity: attempts with the phone today, and a live or paid one of the same amount just now. */
async function phoneVelocity(tx: Tx, merchantId: string, phone: string, amount: number, since: Date) {
  const recentSince = new Date(Date.now() - MOBILE_MONEY_RISK_LIMITS.sameAmountWindowMs);
  const [row] = await tx
    .select({
      today: sql<number>`count(*)::int`,
      sameAmountRecent: sql<number>`count(*) filter (where ${mpesaPayments.createdAt} > ${recentSince.toISOString()}::timestamptz and ${mpesaPayments.amountMinor} = ${amount} and ${paymentAttempts.status} in ('pending', 'requires_action', 'authorized', 'succeeded'))::int`,
    })
    .from(mpesaPayments)
    .innerJoin(paymentAttempts, eq(paymentAttempts.id, mpesaPayments.attemptId))
    .where(and(eq(mpesaPayments.merchantId, merchantId), eq(mpesaPayments.phone, phone), gt(mpesaPayments.createdAt, since)));
  return { attemptsWithPhone: row?.today ?? 0, sameAmountToPhoneRecently: (row?.sameAmountRecent ?? 0) > 0 };
}

async function findBlocklisted(db: DbOrTx, input: RiskCheckInput): Promise<{ ip: boolean; cardFingerprint: boolean; email: boolean }> {
  const candidates = [
    input.customerIp ? and(eq(blocklistEntries.kind, 'ip'), eq(blocklistEntries.value, input.customerIp)) : undefined,
    input.cardFingerprint ? and(eq(blocklistEntries.kind, 'card_fingerprint'), eq(blocklistEntries.value, input.cardFingerprint)) : undefined,
    input.customerEmail ? and(eq(blocklistEntries.kind, 'email'), eq(blocklistEntries.value, input.customerEmail.toLowerCase())) : undefined,
  ].filter((c) => c !== undefined);
  if (candidates.length === 0) return { ip: false, cardFingerprint: false, email: false };
  const rows = await db
    .select({ kind: blocklistEntries.kind })
    .from(blocklistEntries)
    .where(and(eq(blocklistEntries.merchantId, input.merchantId), or(...candidates)));
  const kinds = new Set(rows.map((r) => r.kind));
  return { ip: kinds.has('ip'), cardFingerprint: kinds.has('card_fingerprint'), email: kinds.has('email') };
}

export async function addBlocklistEntry(
  db: DbOrTx,
  entry: { id: string; merchantId: string; kind: 'card_fingerprint' | 'email' | 'ip'; value: string; reason?: string },
): Promise<void> {
  const value = entry.kind === 'email' ? entry.value.toLowerCase() : entry.value;
  await db.insert(blocklistEntries).values({ ...entry, value }).onConflictDoNothing();
}

