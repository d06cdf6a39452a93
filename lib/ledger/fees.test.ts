import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFeeMinor, defaultFeeSchedule, percentOfMinorHalfUp } from './fees';

describe('fees', () => {
  it('defaults to 2.9% + 30 for two-decimal currencies and 3.6% + 0 for JPY', () => {
    expect(defaultFeeSchedule('usd')).toEqual({ percentBps: 290, fixedMinor: 30 });
    expect(defaultFeeSchedule('kes')).toEqual({ percentBps: 290, fixedMinor: 30 });
    expect(defaultFeeSchedule('jpy')).toEqual({ percentBps: 360, fixedMinor: 0 });
    expect(computeFeeMinor(10_000, defaultFeeSchedule('usd'))).toBe(320);
    expect(computeFeeMinor(10_000, defaultFeeSchedule('jpy'))).toBe(360);
  });

  it('rounds half up in integers', () => {
    expect(percentOfMinorHalfUp(1_100, 150)).toBe(17); // 16.5
    expect(percentOfMinorHalfUp(1_033, 150)).toBe(15); // 15.495
    expect(percentOfMinorHalfUp(50, 100)).toBe(1); // 0.5
    expect(percentOfMinorHalfUp(49, 100)).toBe(0); // 0.49
    expect(percentOfMinorHalfUp(99_999_999, 10_000)).toBe(99_999_999);
  });

  it('never charges more than the captured amount', () => {
    expect(computeFeeMinor(10, defaultFeeSchedule('usd'))).toBe(10);
    expect(computeFeeMinor(1, defaultFeeSchedule('jpy'))).toBe(0);
  });

  it('matches exact rational rounding for every amount and rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        const exact = (BigInt(amount) * BigInt(bps) * 2n + 10_000n) / 20_000n; // floor(x + 1/2)
        expect(percentOfMinorHalfUp(amount, bps)).toBe(Number(exact));
      }),
    );
  });
});
