import { describe, expect, it } from 'vitest';
import { nextCronTime, parseCron } from './cron';

const at = (iso: string) => new Date(iso);

describe('cron', () => {
  it('finds the next matching minute (UTC)', () => {
    expect(nextCronTime('*/15 * * * *', at('2026-01-01T10:07:30Z')).toISOString()).toBe('2026-01-01T10:15:00.000Z');
    expect(nextCronTime('0 3 * * *', at('2026-01-01T03:00:00Z')).toISOString()).toBe('2026-01-02T03:00:00.000Z');
    expect(nextCronTime('30 9 * * mon-fri', at('2026-01-03T12:00:00Z')).toISOString()).toBe('2026-01-05T09:30:00.000Z'); // Sat -> Mon
    expect(nextCronTime('0 0 1 jan *', at('2026-06-01T00:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextCronTime('@hourly', at('2026-01-01T10:59:00Z')).toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });

  it('applies cron’s OR rule when both day fields are restricted', () => {
    // the 13th, or any Friday
    expect(nextCronTime('0 0 13 * 5', at('2026-02-01T00:00:00Z')).toISOString()).toBe('2026-02-06T00:00:00.000Z');
  });

  it('rejects what it does not understand, naming the expression', () => {
    expect(() => parseCron('* * * *')).toThrow(/5 fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/out of range/);
    expect(() => parseCron('TZ=Europe/Paris 0 3 * * *')).toThrow(/cron "TZ=Europe\/Paris 0 3 \* \* \*"/);
    expect(() => nextCronTime('0 0 30 2 *', at('2026-01-01T00:00:00Z'))).toThrow(/never fires/);
  });
});
