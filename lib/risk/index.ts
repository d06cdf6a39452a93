import { and, eq, gt, or, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '@/db/client';
import { blocklistEntries, paymentAttempts, riskSettings } from '@/db/schema';
import { assessRisk, DEFAULT_RISK_SETTINGS, type RiskAssessment, type RiskSettings } from './rules';

export * from './rules';

export interface RiskCheckInput {
  merchantId: string;
  amount: number;
  currency: string;
  customerIp: string | null;
  customerEmail: string | null;
  cardFingerprint: string | null;
  pspRiskLevel: 'normal' | 'elevated' | 'highest' | null;
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
  const attemptsFromIp = input.customerIp ? await count(sql`${paymentAttempts.customerIp} = ${input.customerIp}`) : null;
  const attemptsWithCard = input.cardFingerprint
    ? await count(sql`(${paymentAttempts.card}->>'fingerprint') = ${input.cardFingerprint}`)
    : null;
  const attemptsWithEmail = input.customerEmail
    ? await count(sql`lower(${paymentAttempts.customerEmail}) = ${input.customerEmail.toLowerCase()}`)
    : null;
  const blocklisted = await findBlocklisted(tx, input);
  return assessRisk(
    {
      amount: input.amount,
      currency: input.currency,
      pspRiskLevel: input.pspRiskLevel,
      attemptsFromIp,
      attemptsWithCard,
      attemptsWithEmail,
      blocklisted,
    },
    settings,
  );
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

