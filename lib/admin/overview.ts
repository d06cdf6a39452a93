import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';

export interface ConsoleOverview {
  merchants: number;
  operators: number;
  /** Dead letters across all merchants not yet replayed. */
  openDeadLetters: number;
  /** Payment attempts started in the last 24 hours, and how many of them failed. */
  attempts24h: number;
  failedAttempts24h: number;
  /** Payouts still on their way to a merchant's bank. */
  payoutsInTransit: number;
}

/** The console's first page: one statement of platform-wide counts. */
export async function getConsoleOverview(): Promise<ConsoleOverview> {
  const [row] = await getDb().execute<Record<keyof ConsoleOverview, string>>(sql`
    select (select count(*) from merchants) as "merchants",
           (select count(*) from operators where disabled_at is null) as "operators",
           (select count(*) from dead_letters where replayed_at is null) as "openDeadLetters",
           (select count(*) from payment_attempts where created_at > now() - interval '24 hours') as "attempts24h",
           (select count(*) from payment_attempts where created_at > now() - interval '24 hours' and status = 'failed') as "failedAttempts24h",
           (select count(*) from payouts where status = 'in_transit') as "payoutsInTransit"`);
  return {
    merchants: Number(row?.merchants ?? 0),
    operators: Number(row?.operators ?? 0),
    openDeadLetters: Number(row?.openDeadLetters ?? 0),
    attempts24h: Number(row?.attempts24h ?? 0),
    failedAttempts24h: Number(row?.failedAttempts24h ?? 0),
    payoutsInTransit: Number(row?.payoutsInTransit ?? 0),
  };
}
