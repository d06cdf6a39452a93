import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { getDb, getSql } from '@/db/client';
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

// --- The daily settlement file (CSV), as acquirers publish them ---

/** The file's columns, in order. Amounts are signed minor units: a refund's gross and net are negative. */
export const SETTLEMENT_FILE_COLUMNS = [
  'line_id',
  'type',
  'psp_reference',
  'merchant_reference',
  'gross',
  'fee',
  'net',
  'currency',
  'booked_at',
  'available_on',
  'payout_batch_id',
] as const;

/**
 * Faults the file can carry, switched on over HTTP (POST settlement_faults) so tests and demos can
 * make the network's report disagree with the platform's books, as real acquirer files sometimes do.
 * `reference` names the network's payment or refund id the fault applies to.
 */
export type SettlementFault =
  | { kind: 'missing_line' | 'duplicate_line' | 'late_line' | 'currency_mismatch'; reference: string }
  | { kind: 'fee_different' | 'amount_different'; reference: string; deltaMinor: number }
  | { kind: 'unknown_charge'; date: string; amountMinor: number; currency: string };

// One process-wide set, like the callback faults: each call states the whole set.
let faults: readonly SettlementFault[] = [];

export function setSettlementFaults(next: readonly SettlementFault[]): readonly SettlementFault[] {
  faults = [...next];
  return faults;
}

interface FileLine {
  lineId: string;
  type: 'charge' | 'refund';
  pspReference: string;
  merchantReference: string;
  gross: number;
  fee: number;
  currency: string;
  bookedAt: Date;
}

const DAY_MS = 86_400_000;

/** The UTC day `YYYY-MM-DD` as [start, end). */
export function utcDay(date: string): { start: Date; end: Date } {
  const start = new Date(`${date}T00:00:00Z`);
  invariant(!Number.isNaN(start.getTime()) && start.toISOString().slice(0, 10) === date, `not a date: ${date}`);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvRow(line: FileLine): string {
  const net = line.gross - line.fee;
  const available = nextUtcMidnight(line.bookedAt);
  const batch = `pb_${available.toISOString().slice(0, 10).replaceAll('-', '')}`;
  const fields = [line.lineId, line.type, line.pspReference, line.merchantReference, String(line.gross), String(line.fee), String(net), line.currency, line.bookedAt.toISOString(), available.toISOString(), batch];
  return `${fields.map(csvField).join(',')}\n`;
}

function faultFor(reference: string): SettlementFault[] {
  return faults.filter((f) => 'reference' in f && f.reference === reference);
}

/** Applies the switched-on faults to one true line: none, one, or two lines come out. */
function withFaults(line: FileLine, day: { start: Date; end: Date }): FileLine[] {
  const own = faultFor(line.pspReference);
  const late = own.some((f) => f.kind === 'late_line');
  const bookedThatDay = line.bookedAt >= day.start && line.bookedAt < day.end;
  // A late line is left out of its own day's file and turns up in the next day's.
  if (late ? bookedThatDay : !bookedThatDay) return [];
  if (own.some((f) => f.kind === 'missing_line')) return [];
  let out = { ...line };
  for (const fault of own) {
    if (fault.kind === 'fee_different') out = { ...out, fee: Math.max(0, out.fee + fault.deltaMinor) };
    if (fault.kind === 'amount_different') out = { ...out, gross: out.gross + fault.deltaMinor };
    if (fault.kind === 'currency_mismatch') out = { ...out, currency: out.currency === 'usd' ? 'eur' : 'usd' };
  }
  return own.some((f) => f.kind === 'duplicate_line') ? [out, out] : [out];
}

interface FileRow {
  type: 'charge' | 'refund';
  id: string;
  idempotency_key: string;
  amount: string;
  currency: string;
  booked_at: Date;
}

/**
 * The network's settlement file for one UTC day, streamed row by row from a database cursor (a
 * day may hold millions of lines; the file is never built in memory). For today it is the report
 * so far. The window starts a day early so a line switched to "late" can be moved into this file.
 */
export async function* settlementFile(date: string, now: Date = new Date()): AsyncGenerator<string> {
  const day = utcDay(date);
  const from = new Date(day.start.getTime() - DAY_MS);
  const to = day.end < now ? day.end : now;
  yield `${SETTLEMENT_FILE_COLUMNS.join(',')}\n`;
  const cursor = getSql()<FileRow[]>`
    select 'charge' as type, id, idempotency_key, amount_captured::text as amount, currency, updated_at as booked_at
      from sandbox_card_payments
     where status = 'captured' and amount_captured > 0 and updated_at >= ${from.toISOString()}::timestamptz and updated_at < ${to.toISOString()}::timestamptz
    union all
    select 'refund', id, idempotency_key, (-amount)::text, currency, updated_at
      from sandbox_card_refunds
     where status = 'succeeded' and updated_at >= ${from.toISOString()}::timestamptz and updated_at < ${to.toISOString()}::timestamptz
     order by booked_at, id`.cursor(1_000);
  let count = 0;
  for await (const rows of cursor) {
    let chunk = '';
    for (const row of rows) {
      const gross = Number(row.amount);
      const fee = row.type === 'charge' ? sandboxNetworkFee(gross) : 0;
      const line: FileLine = { lineId: `sl_${row.id}`, type: row.type, pspReference: row.id, merchantReference: row.idempotency_key, gross, fee, currency: row.currency, bookedAt: new Date(row.booked_at) };
      for (const out of withFaults(line, day)) {
        chunk += csvRow(out);
        count += 1;
      }
    }
    if (chunk) yield chunk;
  }
  let unknown = 0;
  for (const fault of faults) {
    if (fault.kind !== 'unknown_charge' || fault.date !== date) continue;
    unknown += 1;
    const reference = `sbxpay_unknown_${date.replaceAll('-', '')}_${unknown}`;
    const bookedAt = new Date(Math.min(day.start.getTime() + 12 * 3_600_000, to.getTime() - 1));
    yield csvRow({ lineId: `sl_${reference}`, type: 'charge', pspReference: reference, merchantReference: '', gross: fault.amountMinor, fee: sandboxNetworkFee(fault.amountMinor), currency: fault.currency, bookedAt });
    count += 1;
  }
  // The trailer record, as acquirer files end: a reader that does not get it knows the file was cut short.
  yield `${SETTLEMENT_FILE_TRAILER},${count}\n`;
}

/** The last record of a settlement file: the trailer and the number of lines before it. */
export const SETTLEMENT_FILE_TRAILER = '#eof';

/** Whether the day is over, so its file is final (false: the current day's report so far). */
export function settlementFileComplete(date: string, now: Date = new Date()): boolean {
  return utcDay(date).end <= now;
}
