import { and, desc, eq } from 'drizzle-orm';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseFormInput } from '@/lib/http/validation';
import { getDb } from '@/db/client';
import { paymentAttempts } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { SUPPORTED_CURRENCIES } from '@/lib/money';
import { getRiskSettings, saveRiskSettings, type RiskSettings } from '@/lib/risk';
import { deleteBlocklistEntry, listBlocklistEntries, upsertBlocklistEntry } from '@/lib/risk/blocklist';
import { audit, authorize, invalid, type DashboardActor } from './actor';
import { parseMajorAmount } from './amounts';

const MAX_ATTEMPTS_PER_DAY = 100_000;

const count = (label: string) =>
  z.coerce
    .number({ error: `${label} must be a number.` })
    .int(`${label} must be a whole number.`)
    .min(1, `${label} must be at least 1.`)
    .max(MAX_ATTEMPTS_PER_DAY, `${label} must be at most ${MAX_ATTEMPTS_PER_DAY}.`);

export const riskSettingsInput = z.object({
  maxAttemptsPerIpPerDay: count('Attempts per IP per day'),
  maxAttemptsPerCardPerDay: count('Attempts per card per day'),
  maxAttemptsPerEmailPerDay: count('Attempts per email per day'),
  reviewThresholdPercent: z.coerce
    .number({ error: 'Review threshold must be a number.' })
    .int('Review threshold must be a whole percentage.')
    .min(1, 'Review threshold must be between 1 and 100%.')
    .max(100, 'Review threshold must be between 1 and 100%.'),
  /** Per currency, in major units as typed; empty = no ceiling for that currency. */
  ceilings: z.record(z.string(), z.string().max(30)).default({}),
});

/** Validates the risk form and turns it into settings (ceilings in minor units, lower-case currency keys). */
export function parseRiskSettings(raw: unknown): RiskSettings {
  const parsed = parseFormInput(riskSettingsInput, raw);
  const amountCeilings: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed.ceilings)) {
    const currency = SUPPORTED_CURRENCIES.find((c) => c === key.toLowerCase());
    if (!currency) throw invalid(`Unsupported currency ${key}.`, `ceilings.${key}`);
    if (!value.trim()) continue;
    amountCeilings[currency] = parseMajorAmount(value, currency, `ceilings.${currency}`);
  }
  const { ceilings: _ceilings, ...limits } = parsed;
  return { ...limits, amountCeilings };
}

export async function updateRiskSettings(actor: DashboardActor, raw: unknown): Promise<RiskSettings> {
  authorize(actor, 'risk:write');
  const settings = parseRiskSettings(raw);
  await getDb().transaction(async (tx) => {
    const before = await getRiskSettings(tx, actor.user.merchantId);
    await saveRiskSettings(tx, actor.user.merchantId, settings);
    await audit(
      tx,
      actor,
      'risk.settings_update',
      { type: 'risk_settings', id: actor.user.merchantId },
      { before, after: settings },
    );
  });
  return settings;
}

const blocklistInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('email'),
    value: z.string().trim().toLowerCase().email('Enter a valid email address.').max(320),
    reason: z.string().max(200).optional(),
  }),
  z.object({
    kind: z.literal('ip'),
    value: z
      .string()
      .trim()
      .refine((v) => isIP(v) !== 0, 'Enter a valid IPv4 or IPv6 address.'),
    reason: z.string().max(200).optional(),
  }),
  z.object({
    kind: z.literal('card_fingerprint'),
    value: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{6,128}$/, 'A card fingerprint is 6 to 128 letters, digits, - or _ (copy it from a payment).'),
    reason: z.string().max(200).optional(),
  }),
]);

export async function addBlocklist(actor: DashboardActor, raw: unknown): Promise<{ id: string; created: boolean }> {
  authorize(actor, 'risk:write');
  const input = parseFormInput(blocklistInput, raw);
  return getDb().transaction(async (tx) => {
    const { entry, created } = await upsertBlocklistEntry(tx, {
      merchantId: actor.user.merchantId,
      kind: input.kind,
      value: input.value,
      reason: input.reason?.trim() || null,
    });
    if (created)
      await audit(
        tx,
        actor,
        'blocklist.add',
        { type: 'blocklist_entry', id: entry.id },
        { kind: entry.kind, value: entry.value },
      );
    return { id: entry.id, created };
  });
}

export async function removeBlocklist(actor: DashboardActor, raw: unknown): Promise<void> {
  authorize(actor, 'risk:write');
  const { entryId } = parseFormInput(z.object({ entryId: z.string().min(1).max(100) }), raw);
  await getDb().transaction(async (tx) => {
    const deleted = await deleteBlocklistEntry(tx, actor.user.merchantId, entryId);
    if (!deleted)
      throw new AppError('resource_missing', `No such blocklist entry: '${entryId}'`, { param: 'entryId' });
    await audit(
      tx,
      actor,
      'blocklist.remove',
      { type: 'blocklist_entry', id: deleted.id },
      { kind: deleted.kind, value: deleted.value },
    );
  });
}

/** The merchant's most recent attempts the risk check blocked, with their reasons. */
export async function listBlockedAttempts(merchantId: string, limit = 25) {
  return getDb()
    .select({
      id: paymentAttempts.id,
      paymentIntentId: paymentAttempts.paymentIntentId,
      amount: paymentAttempts.amount,
      currency: paymentAttempts.currency,
      customerEmail: paymentAttempts.customerEmail,
      customerIp: paymentAttempts.customerIp,
      card: paymentAttempts.card,
      reasons: paymentAttempts.riskReasons,
      createdAt: paymentAttempts.createdAt,
    })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.merchantId, merchantId), eq(paymentAttempts.riskDecision, 'block')))
    .orderBy(desc(paymentAttempts.createdAt))
    .limit(limit);
}

/** Everything the dashboard's risk page shows: the rules, the blocklist and recent blocked attempts. */
export async function getRiskPage(merchantId: string) {
  const db = getDb();
  const [settings, entries, blocked] = await Promise.all([
    getRiskSettings(db, merchantId),
    listBlocklistEntries(db, merchantId),
    listBlockedAttempts(merchantId),
  ]);
  return { settings, entries, blocked };
}
