import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '@/db/client';
import { reconExceptions, reconRuns, type ReconException, type ReconRun } from '@/db/schema';
import { recordOperatorAudit } from '@/lib/admin/operators';
import { AppError } from '@/lib/errors';
import { pspClearing } from '@/lib/ledger/accounts';
import { post } from '@/lib/ledger/post';
import { transfer } from '@/lib/ledger/posting-rules';
import { formatMoney, parseCurrency } from '@/lib/money';
import { getPaymentMethodAdapter, isRegisteredPsp } from '@/lib/psp/registry';
import { PspError } from '@/lib/psp/types';
import { pspCost } from './accounts';
import { parseReportDate } from './run';

/**
 * The operator console's view of reconciliation: runs per PSP and day, drift over time, and the
 * exception queue with its actions (resolve with a note, write off with a ledger entry, refund at
 * the PSP). Every action is once per exception (it must still be open, under its row lock) and
 * audited in the same transaction.
 */

export interface Operator {
  id: string;
  email: string;
  ip: string | null;
}

export interface RunRow extends ReconRun {
  /** matched / report lines, 0..1 (1 for an empty report). */
  matchRate: number;
}

export async function listRuns(limit = 60): Promise<RunRow[]> {
  const runs = await getDb().select().from(reconRuns).orderBy(desc(reconRuns.reportDate), desc(reconRuns.createdAt)).limit(limit);
  return runs.map((r) => ({ ...r, matchRate: r.reportLines === 0 ? 1 : r.matched / r.reportLines }));
}

export interface DriftPoint {
  day: string;
  psp: string;
  /** Sum of |gross| of the lines that did not match (the money reconciliation disagrees about). */
  driftMinor: number;
  currency: string;
  matchRate: number;
}

/** Per PSP, day and currency: the newest run of each day. */
export async function driftOverTime(days = 30): Promise<DriftPoint[]> {
  const rows = await getDb().execute<{ day: string; psp: string; currency: string; drift: string; lines: number; matched: number }>(sql`
    with newest as (
      select distinct on (psp, report_date) id, psp, report_date from recon_runs
       where report_date >= current_date - ${days}::int order by psp, report_date, created_at desc
    )
    select n.report_date::text as day, n.psp, l.currency,
           coalesce(sum(abs(l.gross_minor)) filter (where l.outcome <> 'matched'), 0)::text as drift,
           count(l.line_no)::int as lines, count(*) filter (where l.outcome = 'matched')::int as matched
      from newest n join recon_lines l on l.run_id = n.id
     group by n.report_date, n.psp, l.currency order by n.report_date`);
  return rows.map((r) => ({ day: r.day, psp: r.psp, currency: r.currency, driftMinor: Number(r.drift), matchRate: r.lines === 0 ? 1 : r.matched / r.lines }));
}

export async function listOpenExceptions(limit = 100): Promise<ReconException[]> {
  return getDb().select().from(reconExceptions).where(eq(reconExceptions.status, 'open')).orderBy(reconExceptions.createdAt).limit(limit);
}

const note = z.string().trim().min(3, 'Write a note of at least 3 characters.').max(2_000);

function parseNote(value: string): string {
  const parsed = note.safeParse(value);
  if (!parsed.success) throw new AppError('parameter_invalid', parsed.error.issues[0]?.message ?? 'Invalid note.', { param: 'note' });
  return parsed.data;
}

type Tx = Parameters<Parameters<ReturnType<typeof getDb>['transaction']>[0]>[0];

async function lockOpen(tx: Tx, id: string): Promise<ReconException> {
  const [row] = await tx.select().from(reconExceptions).where(eq(reconExceptions.id, id)).for('update');
  if (!row) throw new AppError('resource_missing', `No such reconciliation exception: '${id}'`);
  if (row.status !== 'open') throw new AppError('parameter_invalid', `Exception ${id} is already ${row.status.replace('_', ' ')}.`);
  return row;
}

async function close(tx: Tx, row: ReconException, status: 'resolved' | 'written_off' | 'refunded', text: string, by: Operator) {
  await tx
    .update(reconExceptions)
    .set({ status, note: text, resolvedBy: by.email, resolvedAt: new Date() })
    .where(and(eq(reconExceptions.id, row.id), eq(reconExceptions.status, 'open')));
  await recordOperatorAudit(tx, {
    operatorId: by.id,
    actorEmail: by.email,
    action: `reconciliation.${status}`,
    merchantId: row.merchantId,
    targetType: 'recon_exception',
    targetId: row.id,
    ip: by.ip,
    details: { kind: row.kind, subject: row.subject, note: text },
  });
}

/** A person looked at it and nothing needs to move: closed with their note. */
export async function resolveException(by: Operator, id: string, text: string): Promise<void> {
  const why = parseNote(text);
  await getDb().transaction(async (tx) => close(tx, await lockOpen(tx, id), 'resolved', why, by));
}

/**
 * The difference is accepted as the platform's loss or gain: a ledger entry between the PSP's
 * clearing account and PSP costs, so clearing again equals what the PSP will pay. Only where the
 * difference is known: missing_at_psp (we booked money the PSP never settled) and amount_mismatch
 * (the PSP settled another amount than we booked).
 */
export async function writeOffException(by: Operator, id: string, text: string): Promise<void> {
  const why = parseNote(text);
  await getDb().transaction(async (tx) => {
    const row = await lockOpen(tx, id);
    const currency = parseCurrency(row.currency);
    const ours = (row.evidence as { ours?: { ledger_captured?: number } }).ours;
    // Positive: clearing holds more than the PSP will pay (we lose it); negative: the PSP pays more.
    let shortfall: number;
    if (row.kind === 'missing_at_psp') shortfall = row.amountMinor;
    else if (row.kind === 'amount_mismatch' && typeof ours?.ledger_captured === 'number') shortfall = ours.ledger_captured - row.amountMinor;
    else throw new AppError('parameter_invalid', `A ${row.kind.replace(/_/g, ' ')} exception cannot be written off: resolve it with a note or refund it.`);
    if (shortfall !== 0) {
      const clearing = pspClearing(row.psp, currency);
      const cost = pspCost(row.psp, currency);
      await post(tx, {
        kind: 'recon_write_off',
        eventId: `recon-writeoff:${row.id}`,
        merchantId: row.merchantId,
        currency,
        lines: shortfall > 0 ? transfer(cost, clearing, shortfall) : transfer(clearing, cost, -shortfall),
        description: `Written off (${row.kind} ${row.subject}, ${formatMoney(Math.abs(shortfall), currency)}): ${why}`,
      });
    }
    await close(tx, row, 'written_off', why, by);
  });
}

/**
 * The PSP took money for something we do not keep (a missing_here charge that could not be given
 * back on its own): refund it at the PSP through the adapter, with a key made of the exception's
 * id so a repeated click refunds once.
 */
export async function refundException(by: Operator, id: string, text: string): Promise<void> {
  const why = parseNote(text);
  const [row] = await getDb().select().from(reconExceptions).where(eq(reconExceptions.id, id));
  if (!row) throw new AppError('resource_missing', `No such reconciliation exception: '${id}'`);
  const line = (row.evidence as { line?: { type?: string; psp_reference?: string | null } }).line;
  if (row.kind !== 'missing_here' || line?.type !== 'charge' || !line.psp_reference || row.amountMinor <= 0)
    throw new AppError('parameter_invalid', 'Only a charge the PSP reported and we do not keep can be refunded from here.');
  if (row.status !== 'open') throw new AppError('parameter_invalid', `Exception ${id} is already ${row.status.replace('_', ' ')}.`);
  let refund;
  try {
    refund = await getPaymentMethodAdapter(row.psp).refund(line.psp_reference, row.amountMinor, `recon:${row.id}:refund`);
  } catch (err) {
    if (err instanceof PspError) throw new AppError('psp_unavailable', `${row.psp} did not refund it: ${err.message}`);
    throw err;
  }
  if (refund.status === 'failed') throw new AppError('psp_unavailable', `${row.psp} refused the refund: ${refund.failureReason ?? 'failed'}`);
  await getDb().transaction(async (tx) => close(tx, await lockOpen(tx, id), 'refunded', `${why} (PSP refund ${refund.pspReference}, ${refund.status})`, by));
}

/** An operator asks for a day to be reconciled again: checked and audited here; the caller queues the run. */
export async function recordRerunRequest(by: Operator, psp: string, date: string): Promise<{ psp: string; date: string }> {
  if (!isRegisteredPsp(psp)) throw new AppError('parameter_invalid', `Invalid psp: ${psp} is not a registered PSP.`, { param: 'psp' });
  const day = parseReportDate(date);
  await recordOperatorAudit(getDb(), { operatorId: by.id, actorEmail: by.email, action: 'reconciliation.rerun', targetType: 'recon_day', targetId: `${psp}:${day}`, ip: by.ip });
  return { psp, date: day };
}
