import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { assertValidAmount, formatMoney, parseCurrency, sumMinor } from './index';

describe('money', () => {
  it('formats minor units with the currency exponent', () => {
    expect(formatMoney(123456, 'usd')).toBe('USD 1,234.56');
    expect(formatMoney(5, 'eur')).toBe('EUR 0.05');
    expect(formatMoney(1500, 'jpy')).toBe('JPY 1,500');
    expect(formatMoney(-250, 'kes')).toBe('-KES 2.50');
  });

  it('accepts supported currencies in any case and rejects others', () => {
    expect(parseCurrency('USD')).toBe('usd');
    expect(() => parseCurrency('xyz')).toThrow(AppError);
    try {
      parseCurrency('btc');
    } catch (e) {
      expect((e as AppError).code).toBe('currency_unsupported');
      expect((e as AppError).status).toBe(400);
    }
  });

  it.each([
    [0, 'amount_too_small'],
    [-5, 'amount_too_small'],
    [10.5, 'parameter_invalid'],
    [Number.MAX_SAFE_INTEGER + 2, 'amount_too_large'],
    [1e30, 'amount_too_large'],
    [Number.NaN, 'parameter_invalid'],
    [100_000_000, 'amount_too_large'],
  ])('rejects amount %s with %s', (amount, code) => {
    expect(() => assertValidAmount(amount, 'usd')).toThrow(expect.objectContaining({ code }));
  });

  it('accepts amounts from 1 to the currency maximum', () => {
    expect(() => assertValidAmount(1, 'usd')).not.toThrow();
    expect(() => assertValidAmount(99_999_999, 'usd')).not.toThrow();
    expect(() => assertValidAmount(15_000_001, 'kes')).toThrow(expect.objectContaining({ code: 'amount_too_large' }));
  });

  it('sums without leaving the safe integer range', () => {
    expect(sumMinor([1, 2, 3])).toBe(6);
    expect(() => sumMinor([Number.MAX_SAFE_INTEGER, 1])).toThrow(/safe integer/);
  });
});
