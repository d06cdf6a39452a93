import { and, eq, gte, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { paymentAttempts, paymentIntents } from '@/db/schema';
import { getBalances, type WalletBalance } from '@/lib/wallet';
import { listMerchantPayments, type PaymentRow } from './payments';
import { listEndpoints, listOpenDeadLetters, type EndpointSummary } from './webhooks';

export const OVERVIEW_DAYS = 14;

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

/** The last `days` UTC days, oldest first, each present even when empty. */
export async function dailyStats(merchantId: string, now = new Date(), days = OVERVIEW_DAYS): Promise<DayStats[]> {
  const db = getDb();
  const start = new Date(Date.parse(`${utcDay(now)}T00:00:00Z`) - (days - 1) * 86_400_000);
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
    .where(and(eq(paymentAttempts.merchantId, merchantId), gte(paymentAttempts.createdAt, start)))
    .groupBy(sql`1`);
  const result: DayStats[] = [];
  for (let i = 0; i < days; i++) {
    const day = utcDay(new Date(start.getTime() + i * 86_400_000));
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

export async function getOverview(merchantId: string, now = new Date()): Promise<Overview> {
  const [days, balances, recent, deadLetters, endpoints] = await Promise.all([
    dailyStats(merchantId, now),
    getBalances(merchantId),
    listMerchantPayments(merchantId, { limit: 5 }),
    listOpenDeadLetters(merchantId, 10),
    listEndpoints(merchantId),
  ]);
  const currencyTotals = new Map<string, number>();
  for (const d of days) for (const [c, v] of Object.entries(d.volume)) currencyTotals.set(c, (currencyTotals.get(c) ?? 0) + v);
  return {
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
