import { eq, isNull, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { deadLetters, type DeadLetterRow } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { replayLetter, type DeadLetterReplayer } from '@/lib/dead-letters';
import { byCreation, keysetPage, nextCursor } from '@/lib/pagination';
import { recordOperatorAudit, type SessionOperator } from './operators';

/** Who acts in the console, and from where (the audit log). */
export interface OperatorActor {
  operator: SessionOperator;
  ip: string | null;
}

export interface MerchantSummary {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
  users: number;
  payments24h: number;
  openDeadLetters: number;
  payoutsTotal: number;
}

/** Every merchant with a few health numbers, newest first (the console's merchants list). */
export async function listMerchantSummaries(limit = 200): Promise<MerchantSummary[]> {
  const rows = await getDb().execute<{
    id: string;
    name: string;
    email: string;
    created_at: string | Date;
    users: string;
    payments_24h: string;
    open_dead_letters: string;
    payouts_total: string;
  }>(sql`
    select m.id, m.name, m.email, m.created_at,
           (select count(*) from users u where u.merchant_id = m.id) as users,
           (select count(*) from payment_attempts a where a.merchant_id = m.id and a.created_at > now() - interval '24 hours') as payments_24h,
           (select count(*) from dead_letters d where d.merchant_id = m.id and d.replayed_at is null) as open_dead_letters,
           (select count(*) from payouts p where p.merchant_id = m.id) as payouts_total
      from merchants m
     order by m.created_at desc, m.id desc
     limit ${Math.min(Math.max(limit, 1), 1000)}`);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    email: r.email,
    createdAt: new Date(r.created_at),
    users: Number(r.users),
    payments24h: Number(r.payments_24h),
    openDeadLetters: Number(r.open_dead_letters),
    payoutsTotal: Number(r.payouts_total),
  }));
}

/** Dead letters across all merchants (and the platform's own, merchant null), newest first. */
export async function listAllDeadLetters(options: { openOnly?: boolean; before?: string; limit?: number } = {}) {
  const page = await keysetPage<DeadLetterRow>({
    ...byCreation(deadLetters),
    request: { limit: Math.min(Math.max(options.limit ?? 50, 1), 100), starting_after: options.before },
    scope: undefined,
    filter: options.openOnly ? isNull(deadLetters.replayedAt) : undefined,
    unknownCursor: 'first_page',
  });
  return { rows: page.rows, nextCursor: nextCursor(page, (d) => d.id) };
}

/**
 * An operator replays any merchant's dead letter (or a platform one). Audited in the operator log
 * with the merchant it concerns; like the merchant's own replay, twice means two fresh runs.
 */
export async function replayDeadLetterAsOperator(actor: OperatorActor, id: string | undefined, replay: DeadLetterReplayer) {
  if (!id || !/^dl_[0-9A-Za-z]{8,64}$/.test(id)) throw new AppError('parameter_invalid', 'That is not a dead letter id.', { param: 'deadLetterId' });
  const [letter] = await getDb().select().from(deadLetters).where(eq(deadLetters.id, id));
  if (!letter) throw new AppError('resource_missing', `No such dead_letter: '${id}'`, { param: 'deadLetterId' });
  const result = await replayLetter(letter, replay);
  await recordOperatorAudit(getDb(), {
    operatorId: actor.operator.id,
    actorEmail: actor.operator.email,
    action: 'dead_letter.replay',
    merchantId: letter.merchantId,
    targetType: 'dead_letter',
    targetId: letter.id,
    ip: actor.ip,
    details: { function: letter.functionId, runId: result.runId },
  });
  return result;
}

export interface PspHealth {
  psp: string;
  /** Attempts started in the window, and how they ended so far. */
  attempts: number;
  succeeded: number;
  failed: number;
  inFlight: number;
  /** succeeded / (succeeded + failed), null without finished attempts. */
  successRate: number | null;
  lastError: { at: Date; code: string | null; message: string | null } | null;
  /** PSP callbacks received and not yet processed, and the oldest one's age. */
  inboxBacklog: number;
  oldestUnprocessedAt: Date | null;
  /** Callbacks whose processing raised an error (still retried by the sweep). */
  inboxErrors: number;
}

export const PSP_HEALTH_WINDOW_HOURS = 24;

/**
 * Per PSP, across every merchant: recent attempt outcomes, the latest failure, and the callback
 * inbox backlog. Two grouped statements over the window; the circuit breaker is not in it: it
 * lives in each app process's memory (lib/psp), so no process can report another's.
 */
export async function getPspHealth(now = new Date()): Promise<PspHealth[]> {
  const since = new Date(now.getTime() - PSP_HEALTH_WINDOW_HOURS * 3600_000);
  const attempts = await getDb().execute<{
    psp: string;
    attempts: string;
    succeeded: string;
    failed: string;
    in_flight: string;
    last_error_at: string | Date | null;
    last_error_code: string | null;
    last_error_message: string | null;
  }>(sql`
    select a.psp,
           count(*) as attempts,
           count(*) filter (where a.status in ('succeeded', 'authorized', 'capturing')) as succeeded,
           count(*) filter (where a.status = 'failed') as failed,
           count(*) filter (where a.status in ('pending', 'requires_action', 'canceling')) as in_flight,
           max(a.updated_at) filter (where a.status = 'failed') as last_error_at,
           (array_agg(coalesce(a.decline_code, a.failure_code) order by a.updated_at desc) filter (where a.status = 'failed'))[1] as last_error_code,
           (array_agg(a.failure_message order by a.updated_at desc) filter (where a.status = 'failed'))[1] as last_error_message
      from payment_attempts a
     where a.created_at > ${since.toISOString()}::timestamptz
     group by a.psp`);
  const inbox = await getDb().execute<{ psp: string; backlog: string; oldest: string | Date | null; errors: string }>(sql`
    select psp,
           count(*) filter (where processed_at is null) as backlog,
           min(received_at) filter (where processed_at is null) as oldest,
           count(*) filter (where processed_at is null and process_error is not null) as errors
      from psp_inbox
     where processed_at is null or received_at > ${since.toISOString()}::timestamptz
     group by psp`);
  const psps = new Set([...attempts.map((a) => a.psp), ...inbox.map((i) => i.psp)]);
  return [...psps].sort().map((psp) => {
    const a = attempts.find((r) => r.psp === psp);
    const i = inbox.find((r) => r.psp === psp);
    const succeeded = Number(a?.succeeded ?? 0);
    const failed = Number(a?.failed ?? 0);
    return {
      psp,
      attempts: Number(a?.attempts ?? 0),
      succeeded,
      failed,
      inFlight: Number(a?.in_flight ?? 0),
      successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
      lastError: a?.last_error_at ? { at: new Date(a.last_error_at), code: a.last_error_code, message: a.last_error_message } : null,
      inboxBacklog: Number(i?.backlog ?? 0),
      oldestUnprocessedAt: i?.oldest ? new Date(i.oldest) : null,
      inboxErrors: Number(i?.errors ?? 0),
    };
  });
}


