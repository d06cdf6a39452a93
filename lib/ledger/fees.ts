import type { DbOrTx } from '@/db/client';
import { merchantFeeSchedules } from '@/db/schema';
import { invariant } from '@/lib/errors';
import { CURRENCIES, type Currency } from '@/lib/money';

export interface FeeSchedule {
  /** Percentage in basis points: 290 = 2.9%. */
  percentBps: number;
  fixedMinor: number;
}

const BPS_PER_UNIT = 10_000;

/** 2.9% + 30 minor units for two-decimal currencies; 3.6% + 0 for zero-decimal JPY. */
export function defaultFeeSchedule(currency: Currency): FeeSchedule {
  return CURRENCIES[currency].exponent === 0 ? { percentBps: 360, fixedMinor: 0 } : { percentBps: 290, fixedMinor: 30 };
}

/**
 * amount * bps / 10000 rounded half up, in integers only (amount <= 1e8 and bps <= 1e4 keep the
 * product far below 2^53, so Number arithmetic is exact).
 */
export function percentOfMinorHalfUp(amountMinor: number, percentBps: number): number {
  invariant(Number.isSafeInteger(amountMinor) && amountMinor >= 0, 'amount must be a non-negative safe integer');
  invariant(Number.isInteger(percentBps) && percentBps >= 0 && percentBps <= BPS_PER_UNIT, 'bps must be 0..10000');
  const scaled = amountMinor * percentBps + BPS_PER_UNIT / 2;
  invariant(Number.isSafeInteger(scaled), 'fee computation overflowed');
  return (scaled - (scaled % BPS_PER_UNIT)) / BPS_PER_UNIT;
}

/**
 * The fee on a captured amount. Capped at the amount: a fixed fee larger than a tiny capture
 * would otherwise push the merchant's pending balance negative.
 */
export function computeFeeMinor(amountMinor: number, schedule: FeeSchedule): number {
  const fee = percentOfMinorHalfUp(amountMinor, schedule.percentBps) + schedule.fixedMinor;
  return Math.min(fee, amountMinor);
}

/**
 * Custom schedules are few (negotiated pricing) and rarely change, while every capture needs
 * one; so each process keeps a snapshot of the whole table for FEE_CACHE_TTL_MS, and a merchant
 * without a row (most) costs no query at all. A change made in this process applies at once;
 * other processes see it within the TTL (a change and a concurrent capture have no order anyway).
 */
export const FEE_CACHE_TTL_MS = 5_000;
let snapshot: { schedules: Promise<Map<string, FeeSchedule>>; expiresAt: number } | undefined;

export async function getFeeSchedule(db: DbOrTx, merchantId: string, currency: Currency): Promise<FeeSchedule> {
  if (!snapshot || snapshot.expiresAt <= Date.now()) {
    const schedules = readAllFeeSchedules(db);
    const current = { schedules, expiresAt: Date.now() + FEE_CACHE_TTL_MS };
    snapshot = current;
    schedules.catch(() => {
      if (snapshot === current) snapshot = undefined;
    });
  }
  const custom = (await snapshot.schedules).get(feeKey(merchantId, currency));
  return custom ?? defaultFeeSchedule(currency);
}

function feeKey(merchantId: string, currency: string): string {
  return `${merchantId}:${currency}`;
}

async function readAllFeeSchedules(db: DbOrTx): Promise<Map<string, FeeSchedule>> {
  const rows = await db.select().from(merchantFeeSchedules);
  return new Map(rows.map((r) => [feeKey(r.merchantId, r.currency), { percentBps: r.percentBps, fixedMinor: r.fixedMinor }]));
}

export async function setFeeSchedule(db: DbOrTx, merchantId: string, currency: Currency, schedule: FeeSchedule): Promise<void> {
  await db
    .insert(merchantFeeSchedules)
    .values({ merchantId, currency, ...schedule })
    .onConflictDoUpdate({ target: [merchantFeeSchedules.merchantId, merchantFeeSchedules.currency], set: schedule });
  snapshot = undefined;
}
