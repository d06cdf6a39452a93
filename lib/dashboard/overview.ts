import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentIntents } from '@/db/schema';
import { getBalances, type WalletBalance } from '@/lib/wallet';
import { listMerchantPayments, type PaymentRow } from './payments';
import { listEndpoints, listOpenDeadLetters, type EndpointSummary } from './webhooks';

export const OVERVIEW_DAYS = 14;
/** The longest custom range the overview draws: a year of daily points. */
export const MAX_RANGE_DAYS = 366;
export const RANGE_PRESETS = [7, 30, 90] as const;

/** The overview's period: inclusive UTC days, oldest first. */
export interface OverviewRange {
  /** YYYY-MM-DD (UTC), inclusive. */
  from: string;
  /** YYYY-MM-DD (UTC), inclusive. */
  to: string;
  days: number;
  /** The preset it came from ('7d', '30d', '90d') or 'custom'. */
  preset: `${(typeof RANGE_PRESETS)[number]}d` | 'custom';
}

export interface DayStats {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Captured volume per currency, minor units. */
  volume: Record<string, number>;
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed), 0..1; null on a day without finished attempts. */
  successRate: number | null;
}

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

function isDay(v: unknown): v is string {
  return (
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(dayStart(v)) && utcDay(new Date(dayStart(v))) === v
  );
}

/** The last `days` UTC days up to and including today. */
export function lastDays(days: number, now = new Date()): OverviewRange {
  const to = utcDay(now);
  const from = utcDay(new Date(dayStart(to) - (days - 1) * DAY_MS));
  const preset = RANGE_PRESETS.find((p) => p === days);
  return { from, to, days, preset: preset ? `${preset}d` : 'custom' };
}

/**
 * The range from the overview's URL: `range=7d|30d|90d`, or `from`/`to` days for a custom one.
 * Anything malformed falls back to the default (a hand-edited URL still shows the page); a custom
 * range is put in order, ends no later than today and is cut to MAX_RANGE_DAYS.
 */
export function parseOverviewRange(
  params: Record<string, string | string[] | undefined>,
  now = new Date(),
  defaultDays: number = 30,
): OverviewRange {
  const first = (k: string) => (Array.isArray(params[k]) ? params[k][0] : params[k]);
  const range = first('range');
  const preset = RANGE_PRESETS.find((p) => range === `${p}d`);
  if (preset) return lastDays(preset, now);
  const from = first('from');
  const to = first('to');
  if (isDay(from) && isDay(to)) {
    const today = dayStart(utcDay(now));
    let [a, b] = [dayStart(from), dayStart(to)].sort((x, y) => x - y) as [number, number];
    b = Math.min(b, today);
    a = Math.min(a, b);
    if (b - a >= MAX_RANGE_DAYS * DAY_MS) a = b - (MAX_RANGE_DAYS - 1) * DAY_MS;
    return { from: utcDay(new Date(a)), to: utcDay(new Date(b)), days: Math.round((b - a) / DAY_MS) + 1, preset: 'custom' };
  }
  return lastDays(defaultDays, now);
}

/** One row per UTC day of the range, oldest first, each present even when empty. */
export async function dailyStats(merchantId: string, range: OverviewRange = lastDays(OVERVIEW_DAYS)): Promise<DayStats[]> {
  const db = getDb();
  const start = new Date(dayStart(range.from));
  const end = new Date(dayStart(range.to) + DAY_MS);
  const days = range.days;
  const volumeRows = await db
    .select({
      day: sql<string>`to_char(${paymentIntents.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`,
      currency: paymentIntents.currency,
      total: sql<string>`sum(${paymentIntents.amountReceived})`,
    })
    .from(paymentIntents)
    .where(
      and(
        eq(paymentIntents.merchantId, merchantId),
        gte(paymentIntents.createdAt, start),
        lt(paymentIntents.createdAt, end),
        sql`${paymentIntents.amountReceived} > 0`,
      ),
    )
    .groupBy(sql`1`, paymentIntents.currency);
  const attemptRows = await db
    .select({
      day: sql<string>`to_char(${paymentAttempts.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`,
      succeeded: sql<number>`(count(*) filter (where ${paymentAttempts.status} in ('succeeded', 'authorized')))::int`,
      failed: sql<number>`(count(*) filter (where ${paymentAttempts.status} = 'failed'))::int`,
    })
    .from(paymentAttempts)
    .where(
      and(eq(paymentAttempts.merchantId, merchantId), gte(paymentAttempts.createdAt, start), lt(paymentAttempts.createdAt, end)),
    )
    .groupBy(sql`1`);
  const result: DayStats[] = [];
  for (let i = 0; i < days; i++) {
    const day = utcDay(new Date(start.getTime() + i * DAY_MS));
    const volume: Record<string, number> = {};
    for (const r of volumeRows) if (r.day === day) volume[r.currency] = Number(r.total);
    const a = attemptRows.find((r) => r.day === day);
    const succeeded = a?.succeeded ?? 0;
    const failed = a?.failed ?? 0;
    result.push({
      day,
      volume,
      succeeded,
      failed,
      successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
    });
  }
  return result;
}

export interface Overview {
  range: OverviewRange;
  /** Today (UTC), YYYY-MM-DD: the charts mark it. */
  today: string;
  days: DayStats[];
  /** Currencies with volume in the period, largest first by payment count. */
  currencies: string[];
  balances: WalletBalance[];
  recentPayments: PaymentRow[];
  problems: {
    deadLetters: { id: string; functionId: string; eventName: string; createdAt: Date }[];
    endpoints: EndpointSummary[];
  };
}

export async function getOverview(
  merchantId: string,
  now = new Date(),
  range: OverviewRange = lastDays(OVERVIEW_DAYS, now),
): Promise<Overview> {
  const [days, balances, recent, deadLetters, endpoints] = await Promise.all([
    dailyStats(merchantId, range),
    getBalances(merchantId),
    listMerchantPayments(merchantId, { limit: 5 }),
    listOpenDeadLetters(merchantId, 10),
    listEndpoints(merchantId),
  ]);
  const currencyTotals = new Map<string, number>();
  for (const d of days) for (const [c, v] of Object.entries(d.volume)) currencyTotals.set(c, (currencyTotals.get(c) ?? 0) + v);
  return {
    range,
    today: utcDay(now),
    days,
    currencies: [...currencyTotals.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c),
    balances,
    recentPayments: recent.rows,
    problems: {
      deadLetters: deadLetters.map((d) => ({
        id: d.id,
        functionId: d.functionId,
        eventName: d.eventName,
        createdAt: d.createdAt,
      })),
      endpoints: endpoints.filter((e) => e.status === 'disabled' || e.failedDeliveries > 0),
    },
  };
}
