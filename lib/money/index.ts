import { AppError, invariant } from '@/lib/errors';

/** ISO 4217 currencies we accept, with their minor-unit exponent and the largest amount one payment may carry. */
export const CURRENCIES = {
  usd: { exponent: 2, maxAmountMinor: 99_999_999 },
  eur: { exponent: 2, maxAmountMinor: 99_999_999 },
  gbp: { exponent: 2, maxAmountMinor: 99_999_999 },
  kes: { exponent: 2, maxAmountMinor: 15_000_000 },
  jpy: { exponent: 0, maxAmountMinor: 99_999_999 },
} as const;

export type Currency = keyof typeof CURRENCIES;
export const SUPPORTED_CURRENCIES = Object.keys(CURRENCIES) as Currency[];

export function isCurrency(value: string): value is Currency {
  return Object.hasOwn(CURRENCIES, value);
}

export function parseCurrency(value: string, param = 'currency'): Currency {
  const lower = value.toLowerCase();
  if (!isCurrency(lower)) {
    throw new AppError('currency_unsupported', `Unsupported currency "${value}". Supported: ${SUPPORTED_CURRENCIES.join(', ')}.`, { param });
  }
  return lower;
}

/** Checks an amount in minor units: a positive safe integer no larger than the currency's maximum. */
export function assertValidAmount(amountMinor: number, currency: Currency, param = 'amount'): void {
  if (typeof amountMinor !== 'number' || !Number.isInteger(amountMinor)) {
    throw new AppError('parameter_invalid', 'Amount must be a whole number of minor units (e.g. 1099 for 10.99).', { param });
  }
  if (amountMinor < 1) {
    throw new AppError('amount_too_small', 'Amount must be at least 1 minor unit.', { param });
  }
  const max = CURRENCIES[currency].maxAmountMinor;
  if (amountMinor > max) {
    throw new AppError('amount_too_large', `Amount must be no more than ${formatMoney(max, currency)} (${max} minor units).`, { param });
  }
}

export function formatMoney(amountMinor: number, currency: string): string {
  invariant(Number.isSafeInteger(amountMinor), 'amount must be a safe integer');
  const lower = currency.toLowerCase();
  const exponent = isCurrency(lower) ? CURRENCIES[lower].exponent : 2;
  const negative = amountMinor < 0;
  const abs = Math.abs(amountMinor);
  const major = Math.floor(abs / 10 ** exponent);
  const minor = abs % 10 ** exponent;
  const majorStr = major.toLocaleString('en-US');
  const body = exponent === 0 ? majorStr : `${majorStr}.${String(minor).padStart(exponent, '0')}`;
  return `${negative ? '-' : ''}${currency.toUpperCase()} ${body}`;
}

/** Sums minor-unit amounts, asserting the result stays a safe integer. */
export function sumMinor(amounts: readonly number[]): number {
  let total = 0;
  for (const a of amounts) {
    invariant(Number.isSafeInteger(a), 'amount must be a safe integer');
    total += a;
  }
  invariant(Number.isSafeInteger(total), 'sum overflowed the safe integer range');
  return total;
}
