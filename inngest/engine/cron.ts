/**
 * A small five-field cron parser (minute hour day-of-month month day-of-week, UTC), enough for
 * the schedules our functions use: `*`, lists, ranges, steps, and names for months and days.
 * No seconds field, no `TZ=` prefix and no `L`/`W`/`#`: registration rejects those loudly.
 */
interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Cron's rule: if both day fields are restricted, a day matches when either matches. */
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseValue(raw: string, names: string[] | undefined, offset: number): number {
  const named = names?.indexOf(raw.toLowerCase()) ?? -1;
  if (named >= 0) return named + offset;
  if (!/^\d+$/.test(raw)) throw new Error(`invalid value "${raw}"`);
  return Number(raw);
}

function parseField(field: string, min: number, max: number, names?: string[], nameOffset = 0): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepRaw] = part.split('/');
    const step = stepRaw === undefined ? 1 : Number(stepRaw);
    if (!Number.isInteger(step) || step < 1) throw new Error(`invalid step in "${part}"`);
    let from = min;
    let to = max;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = parseValue(a, names, nameOffset);
      to = b === undefined ? (stepRaw === undefined ? from : max) : parseValue(b, names, nameOffset);
    }
    if (from < min || to > max || from > to) throw new Error(`"${part}" is out of range ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

export function parseCron(expression: string): CronFields {
  const source = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = source.split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expression}" must have 5 fields (minute hour day month weekday)`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  try {
    const daysOfWeek = parseField(dayOfWeek, 0, 7, DAY_NAMES);
    if (daysOfWeek.delete(7)) daysOfWeek.add(0); // 7 is Sunday too
    return {
      minutes: parseField(minute, 0, 59),
      hours: parseField(hour, 0, 23),
      daysOfMonth: parseField(dayOfMonth, 1, 31),
      months: parseField(month, 1, 12, MONTH_NAMES, 1),
      daysOfWeek,
      dayOfMonthRestricted: dayOfMonth !== '*',
      dayOfWeekRestricted: dayOfWeek !== '*',
    };
  } catch (err) {
    throw new Error(`cron "${expression}": ${(err as Error).message}`);
  }
}

function dayMatches(fields: CronFields, date: Date): boolean {
  const dom = fields.daysOfMonth.has(date.getUTCDate());
  const dow = fields.daysOfWeek.has(date.getUTCDay());
  if (fields.dayOfMonthRestricted && fields.dayOfWeekRestricted) return dom || dow;
  return dom && dow;
}

/** The first minute strictly after `after` that matches the expression (UTC). */
export function nextCronTime(expression: string, after: Date): Date {
  const fields = parseCron(expression);
  const candidate = new Date(after.getTime());
  candidate.setUTCSeconds(0, 0);
  candidate.setUTCMinutes(candidate.getUTCMinutes() + 1);
  // Walk forward coarsely (month, day, hour, minute); bounded so an impossible date (Feb 30) ends.
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (candidate.getTime() <= limit) {
    if (!fields.months.has(candidate.getUTCMonth() + 1)) {
      candidate.setUTCMonth(candidate.getUTCMonth() + 1, 1);
      candidate.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(fields, candidate)) {
      candidate.setUTCDate(candidate.getUTCDate() + 1);
      candidate.setUTCHours(0, 0, 0, 0);
    } else if (!fields.hours.has(candidate.getUTCHours())) {
      candidate.setUTCHours(candidate.getUTCHours() + 1, 0, 0, 0);
    } else if (!fields.minutes.has(candidate.getUTCMinutes())) {
      candidate.setUTCMinutes(candidate.getUTCMinutes() + 1, 0, 0);
    } else {
      return candidate;
    }
  }
  throw new Error(`cron "${expression}" never fires`);
}
