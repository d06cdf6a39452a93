import { describe, expect, it } from 'vitest';
import { centsFromWire, compactStamp, dottedStamp, maskMsisdn, parseSpacedStamp, spacedStamp, wireAmount } from './wire';

describe('amounts at the edge', () => {
  it('reads decimal strings and numbers into cents without floats', () => {
    expect(centsFromWire('150')).toBe(15_000n);
    expect(centsFromWire('150.5')).toBe(15_050n);
    expect(centsFromWire(150.25)).toBe(15_025n);
    expect(centsFromWire(0.1)).toBe(10n);
    expect(centsFromWire('999999999999.99')).toBe(99_999_999_999_999n);
  });

  it('refuses what is not an amount', () => {
    for (const bad of ['', ' ', '1.234', '-5', '1e3', 'ten', '1,000', NaN, Infinity, -1, null, undefined, {}, '0x10'])
      expect(centsFromWire(bad), String(bad)).toBeNull();
  });

  it('writes cents as Daraja decimal strings', () => {
    expect(wireAmount(15_000n)).toBe('150.00');
    expect(wireAmount(5n)).toBe('0.05');
    expect(wireAmount(-12_345n)).toBe('-123.45');
  });
});

describe('Nairobi time stamps', () => {
  const at = new Date('2026-12-01T21:05:09Z'); // 00:05:09 on 2 December in Nairobi

  it('formats in the three Daraja styles', () => {
    expect(compactStamp(at)).toBe('20261202000509');
    expect(dottedStamp(at)).toBe('02.12.2026 00:05:09');
    expect(spacedStamp(at)).toBe('2026-12-02 00:05:09');
  });

  it('parses Pull Transactions dates as Nairobi time and refuses impossible ones', () => {
    expect(parseSpacedStamp('2026-12-02 00:05:09')?.toISOString()).toBe('2026-12-01T21:05:09.000Z');
    expect(parseSpacedStamp('2026-12-02 8:05:09')?.toISOString()).toBe('2026-12-02T05:05:09.000Z');
    for (const bad of ['2026-02-30 10:00:00', '2026-13-01 00:00:00', '2026-12-01 24:00:00', '2026-12-01', 'yesterday'])
      expect(parseSpacedStamp(bad), bad).toBeNull();
  });
});

it('masks an MSISDN keeping the first 6 and last 3 digits', () => {
  expect(maskMsisdn('254712345678')).toBe('254712***678');
});
