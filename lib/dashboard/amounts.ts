import { AppError } from '@/lib/errors';
import { CURRENCIES, isCurrency } from '@/lib/money';

/**
 * Parses an amount typed in major units ("12.50", "1,000", "500" for JPY) into integer minor
 * units, by string arithmetic only: no floats near money.
 */
export function parseMajorAmount(input: string, currency: string, param = 'amount'): number {
  const lower = currency.toLowerCase();
  const exponent = isCurrency(lower) ? CURRENCIES[lower].exponent : 2;
  const cleaned = input.trim().replaceAll(',', '');
  const pattern = exponent === 0 ? /^\d{1,12}$/ : new RegExp(`^\\d{1,12}(\\.\\d{1,${exponent}})?$`);
  if (!pattern.test(cleaned)) {
    throw new AppError(
      'parameter_invalid',
      exponent === 0
        ? `Enter a whole amount in ${currency.toUpperCase()} (e.g. 500).`
        : `Enter an amount in ${currency.toUpperCase()} with up to ${exponent} decimals (e.g. 12.50).`,
      { param },
    );
  }
  const [whole = '0', fraction = ''] = cleaned.split('.');
  const minor = Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
  if (!Number.isSafeInteger(minor) || minor < 1)
    throw new AppError('amount_too_small', 'The amount must be more than zero.', { param });
  return minor;
}

/** The inverse for form defaults: 1250 usd -> "12.50". */
export function minorToMajorString(amountMinor: number, currency: string): string {
  const lower = currency.toLowerCase();
  const exponent = isCurrency(lower) ? CURRENCIES[lower].exponent : 2;
  if (exponent === 0) return String(amountMinor);
  const abs = Math.abs(amountMinor);
  const s = `${Math.floor(abs / 10 ** exponent)}.${String(abs % 10 ** exponent).padStart(exponent, '0')}`;
  return amountMinor < 0 ? `-${s}` : s;
}
