import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { sandboxCardPayments, sandboxCardRefunds } from '@/db/schema';
import { invariant } from './errors';

/**
 * The network's settlement report: what it books to the merchant's account in a time window.
 * One line per captured payment (gross = the captured amount, minus the network's fee) and one
 * per succeeded refund (negative, no fee back), each booked at the time it reached that state
 * (captured and succeeded are final, so updated_at is that moment). Funds become available the
 * next day at 00:00 UTC.
 */
export interface SandboxSettlementLine {
  id: string;
  type: 'charge' | 'refund';
  amount: number;
  fee: number;
  net: number;
  currency: string;
  paymentId: string;
  bookedAt: Date;
  availableOn: Date;
}

/** The network's fee, in basis points of the captured amount. */
export const SANDBOX_FEE_BASIS_POINTS = 150;

/** 1.5% of the amount in minor units, rounded half up (integers only: no floats near money). */
export function sandboxNetworkFee(amountMinor: number): number {
  invariant(Number.isSafeInteger(amountMinor) && amountMinor >= 0, 'fee base must be a non-negative integer');
  return Math.floor((amountMinor * SANDBOX_FEE_BASIS_POINTS + 5_000) / 10_000);
}

/** 00:00 UTC of the day after `at`. */
export function nextUtcMidnight(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

/** Lines booked in [from, to), oldest first. */
export async function settlementLines(from: Date, to: Date): Promise<SandboxSettlementLine[]> {
  const db = getDb();
  const [charges, refunds] = await Promise.all([
    db
      .select()
      .from(sandboxCardPayments)
      .where(and(eq(sandboxCardPayments.status, 'captured'), gte(sandboxCardPayments.updatedAt, from), lt(sandboxCardPayments.updatedAt, to)))
      .orderBy(asc(sandboxCardPayments.updatedAt)),
    db
      .select()
      .from(sandboxCardRefunds)
      .where(and(eq(sandboxCardRefunds.status, 'succeeded'), gte(sandboxCardRefunds.updatedAt, from), lt(sandboxCardRefunds.updatedAt, to)))
      .orderBy(asc(sandboxCardRefunds.updatedAt)),
  ]);
  const lines: SandboxSettlementLine[] = [
    ...charges
      .filter((p) => p.amountCaptured > 0)
      .map((p) => {
        const fee = sandboxNetworkFee(p.amountCaptured);
        return { id: p.id, type: 'charge' as const, amount: p.amountCaptured, fee, net: p.amountCaptured - fee, currency: p.currency, paymentId: p.id, bookedAt: p.updatedAt, availableOn: nextUtcMidnight(p.updatedAt) };
      }),
    ...refunds.map((r) => ({ id: r.id, type: 'refund' as const, amount: -r.amount, fee: 0, net: -r.amount, currency: r.currency, paymentId: r.paymentId, bookedAt: r.updatedAt, availableOn: nextUtcMidnight(r.updatedAt) })),
  ];
  return lines.sort((a, b) => a.bookedAt.getTime() - b.bookedAt.getTime() || a.id.localeCompare(b.id));
}
