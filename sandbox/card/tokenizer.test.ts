import { describe, expect, it } from 'vitest';
import { brandForNumber, normalizeCardNumber, passesLuhn } from './card-number';
import { SandboxError } from './errors';
import { validateCardInput } from './tokenizer';

const NOW = new Date('2026-06-15T12:00:00Z');

function codeOf(input: Record<string, unknown>): string | undefined {
  try {
    validateCardInput({ number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', ...input }, NOW);
    return undefined;
  } catch (err) {
    if (err instanceof SandboxError) return err.code;
    throw err;
  }
}

describe('card numbers', () => {
  it('checks Luhn', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('378282246310005')).toBe(true);
    expect(passesLuhn('4242424242424243')).toBe(false);
  });

  it('strips spaces and dashes and refuses anything but 12-19 digits', () => {
    expect(normalizeCardNumber('4242 4242-4242 4242')).toBe('4242424242424242');
    expect(normalizeCardNumber('4242x42424242424')).toBeUndefined();
    expect(normalizeCardNumber('42424242')).toBeUndefined();
  });

  it.each([
    ['4242424242424242', 'visa'],
    ['5100000000000000', 'mastercard'],
    ['5599999999999999', 'mastercard'],
    ['2221000000000000', 'mastercard'],
    ['2720999999999999', 'mastercard'],
    ['340000000000000', 'amex'],
    ['370000000000000', 'amex'],
    ['5000000000000000', undefined],
    ['5600000000000000', undefined],
    ['2220999999999999', undefined],
    ['2721000000000000', undefined],
    ['6011111111111117', undefined],
    ['3530111333300000', undefined],
  ])('routes BIN of %s to %s', (number, brand) => {
    expect(brandForNumber(number)).toBe(brand);
  });
});

describe('validateCardInput', () => {
  it('accepts a valid card, with two-digit years and numeric strings', () => {
    expect(validateCardInput({ number: '4242424242424242', exp_month: '06', exp_year: '26', cvc: '123' }, NOW)).toMatchObject({
      brand: 'visa',
      expMonth: 6,
      expYear: 2026,
    });
  });

  it.each([
    [{ exp_month: 5, exp_year: 2026 }, 'invalid_expiry_month'],
    [{ exp_month: 0 }, 'invalid_expiry_month'],
    [{ exp_month: 'ab' }, 'invalid_expiry_month'],
    [{ exp_year: 2025 }, 'invalid_expiry_year'],
    [{ exp_year: 2090 }, 'invalid_expiry_year'],
    [{ cvc: '12a' }, 'invalid_cvc'],
    [{ cvc: undefined }, 'invalid_cvc'],
    [{ number: '4242424242424' }, 'incorrect_number'],
    [{ number: 4242424242424242 }, 'incorrect_number'],
  ])('refuses %o with %s', (input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it('accepts the current month', () => {
    expect(codeOf({ exp_month: 6, exp_year: 2026 })).toBeUndefined();
  });
});
