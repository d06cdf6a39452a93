import { and, eq, gt, inArray, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx, Tx } from '@/db/client';
import { blocklistEntries, merchants, mpesaPayments, paymentAttempts, riskSettings } from '@/db/schema';
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
  const facts = await velocityFacts(tx, input);
  return assessRisk(
    {
      amount: input.amount,
      currency: input.currency,
      pspRiskLevel: input.pspRiskLevel,
      attemptsFromIp: facts.ipRetries,
      totalAttemptsFromIp: facts.ipTotal,
      attemptsWithCard: facts.attemptsWithCard,
      attemptsWithEmail: facts.attemptsWithEmail,
      blocklisted: facts.blocklisted,
      ...facts.phone,
    },
    facts.settings,
    { maxTotalAttemptsPerIpPerDay: env().RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY },
  );
}

/**
 * Everything the rules read, in one statement (run after the advisory locks, so its snapshot sees
 * every attempt committed by whoever held them): the merchant's settings, the velocity counts of
 * the IP, card, email and phone over the last day, and the blocklist. Each count is its own
 * subquery on the index made for it (payment_attempts_risk_*_idx, mpesa_payments by phone).
 * IP retries are every attempt that has not succeeded (failed, blocked, canceled, and those still
 * in flight: counting an in-flight attempt until it succeeds means concurrent attempts cannot all
 * slip under the limit); the IP total counts successes too.
 */
async function velocityFacts(tx: Tx, input: RiskCheckInput) {
  const { merchantId } = input;
  const since = new Date(Date.now() - DAY_MS);
  const email = input.customerEmail?.toLowerCase() ?? null;
  const attemptsToday = and(eq(paymentAttempts.merchantId, merchantId), gt(paymentAttempts.createdAt, since));
  const countAttempts = (condition: SQL) =>
    sql<number>`(${tx.select({ n: sql`count(*)::int` }).from(paymentAttempts).where(and(attemptsToday, condition))})`;
  const none = sql<null>`null::int`;
  const blocklistCandidates = [
    input.customerIp ? and(eq(blocklistEntries.kind, 'ip'), eq(blocklistEntries.value, input.customerIp)) : undefined,
    input.cardFingerprint ? and(eq(blocklistEntries.kind, 'card_fingerprint'), eq(blocklistEntries.value, input.cardFingerprint)) : undefined,
    email ? and(eq(blocklistEntries.kind, 'email'), eq(blocklistEntries.value, email)) : undefined,
  ].filter((c) => c !== undefined);
  const recentSince = new Date(Date.now() - MOBILE_MONEY_RISK_LIMITS.sameAmountWindowMs);
  const phoneToday = input.phone
    ? and(eq(mpesaPayments.merchantId, merchantId), eq(mpesaPayments.phone, input.phone), gt(mpesaPayments.createdAt, since))
    : undefined;
  const [row] = await tx
    .select({
      maxAttemptsPerIpPerDay: riskSettings.maxAttemptsPerIpPerDay,
      maxAttemptsPerCardPerDay: riskSettings.maxAttemptsPerCardPerDay,
      maxAttemptsPerEmailPerDay: riskSettings.maxAttemptsPerEmailPerDay,
      amountCeilings: riskSettings.amountCeilings,
      reviewThresholdPercent: riskSettings.reviewThresholdPercent,
      ipTotal: input.customerIp ? countAttempts(eq(paymentAttempts.customerIp, input.customerIp)) : none,
      ipRetries: input.customerIp
        ? countAttempts(and(eq(paymentAttempts.customerIp, input.customerIp), notInArray(paymentAttempts.status, ['succeeded', 'authorized']))!)
        : none,
      attemptsWithCard: input.cardFingerprint ? countAttempts(sql`(${paymentAttempts.card}->>'fingerprint') = ${input.cardFingerprint}`) : none,
      attemptsWithEmail: email ? countAttempts(sql`lower(${paymentAttempts.customerEmail}) = ${email}`) : none,
      blocklistedKinds: blocklistCandidates.length
        ? sql<string[] | null>`(${tx
            .select({ kinds: sql`array_agg(distinct ${blocklistEntries.kind})` })
            .from(blocklistEntries)
            .where(and(eq(blocklistEntries.merchantId, merchantId), or(...blocklistCandidates)))})`
        : sql<null>`null::text[]`,
      phoneToday: phoneToday
        ? sql<number>`(${tx.select({ n: sql`count(*)::int` }).from(mpesaPayments).where(phoneToday)})`
        : none,
      phoneSameAmountRecent: phoneToday
        ? sql<number>`(${tx
            .select({ n: sql`count(*)::int` })
            .from(mpesaPayments)
            .innerJoin(paymentAttempts, eq(paymentAttempts.id, mpesaPayments.attemptId))
            .where(
              and(
                phoneToday,
                gt(mpesaPayments.createdAt, recentSince),
                eq(mpesaPayments.amountMinor, input.amount),
                inArray(paymentAttempts.status, ['pending', 'requires_action', 'authorized', 'succeeded']),
              ),
            )})`
        : none,
    })
    .from(merchants)
    .leftJoin(riskSettings, eq(riskSettings.merchantId, merchants.id))
    .where(eq(merchants.id, merchantId));
  if (!row) throw new Error(`merchant ${merchantId} not found for its risk check`);
  const settings: RiskSettings =
    row.maxAttemptsPerIpPerDay === null ||
    row.maxAttemptsPerCardPerDay === null ||
    row.maxAttemptsPerEmailPerDay === null ||
    row.amountCeilings === null ||
    row.reviewThresholdPercent === null
      ? DEFAULT_RISK_SETTINGS
      : {
          maxAttemptsPerIpPerDay: row.maxAttemptsPerIpPerDay,
          maxAttemptsPerCardPerDay: row.maxAttemptsPerCardPerDay,
          maxAttemptsPerEmailPerDay: row.maxAttemptsPerEmailPerDay,
          amountCeilings: row.amountCeilings,
          reviewThresholdPercent: row.reviewThresholdPercent,
        };
  const kinds = new Set(row.blocklistedKinds ?? []);
  return {
    settings,
    ipTotal: nullableCount(row.ipTotal),
    ipRetries: nullableCount(row.ipRetries),
    attemptsWithCard: nullableCount(row.attemptsWithCard),
    attemptsWithEmail: nullableCount(row.attemptsWithEmail),
    blocklisted: { ip: kinds.has('ip'), cardFingerprint: kinds.has('card_fingerprint'), email: kinds.has('email') },
    phone: input.phone
      ? { attemptsWithPhone: Number(row.phoneToday ?? 0), sameAmountToPhoneRecently: Number(row.phoneSameAmountRecent ?? 0) > 0 }
      : {},
  };
}

/** A count subquery's value: null when the fact was not asked for (no IP, card or email). */
function nullableCount(value: number | null): number | null {
  return value === null ? null : Number(value);
}

export async function addBlocklistEntry(
  db: DbOrTx,
  entry: { id: string; merchantId: string; kind: 'card_fingerprint' | 'email' | 'ip'; value: string; reason?: string },
): Promise<void> {
  const value = entry.kind === 'email' ? entry.value.toLowerCase() : entry.value;
  await db.insert(blocklistEntries).values({ ...entry, value }).onConflictDoNothing();
}

