import { describe, expect, it } from 'vitest';
import { nextUtcMidnight, sandboxNetworkFee } from './settlements';

describe('sandbox network fee and settlement date', () => {
  it('takes 1.5% of the captured amount, rounded half up, in integers', () => {
    expect(sandboxNetworkFee(0)).toBe(0);
    expect(sandboxNetworkFee(33)).toBe(0); // 0.495
    expect(sandboxNetworkFee(34)).toBe(1); // 0.51
    expect(sandboxNetworkFee(100)).toBe(2); // 1.5 -> 2
    expect(sandboxNetworkFee(6_001)).toBe(90); // 90.015
    expect(sandboxNetworkFee(99_999_999)).toBe(1_500_000); // 1_499_999.985
    expect(() => sandboxNetworkFee(-1)).toThrow();
    expect(() => sandboxNetworkFee(1.5)).toThrow();
  });

  it('makes funds available at the next 00:00 UTC', () => {
    expect(nextUtcMidnight(new Date('2026-03-31T23:59:59.999Z'))).toEqual(new Date('2026-04-01T00:00:00Z'));
    expect(nextUtcMidnight(new Date('2026-12-31T00:00:00Z'))).toEqual(new Date('2027-01-01T00:00:00Z'));
  });
});
