import { AppError } from '@/lib/errors';

/**
 * Daraja's wire formats, kept pure so they are easy to test: the Timestamp (Nairobi time, which
 * is UTC+3 all year), the STK Password, MSISDN normalization and the whole-shilling amount rule.
 */

const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000;

/** YYYYMMDDHHmmss in Nairobi time (EAT, UTC+3, no daylight saving). */
export function darajaTimestamp(at: Date = new Date()): string {
  const d = new Date(at.getTime() + NAIROBI_OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** Password = base64(shortcode + passkey + timestamp), as Lipa Na M-Pesa Online requires. */
export function darajaPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortcode}${passkey}${timestamp}`, 'utf8').toString('base64');
}

export const PHONE_FORMAT_HINT = 'Enter a Safaricom number such as 0712 345 678, 0110 123 456 or +254 712 345 678.';

/**
 * Normalizes a Kenyan mobile number to the MSISDN Daraja expects (2547XXXXXXXX or 2541XXXXXXXX).
 * Accepts 07.. / 01.., +254.. and 254.. with spaces, dashes, dots or brackets between digits.
 */
export function normalizeMsisdn(input: string): string {
  const trimmed = input.trim();
  const compact = trimmed.replace(/[\s\-().]/g, '');
  const digits = compact.startsWith('+') ? compact.slice(1) : compact;
  if (/^\d+$/.test(digits)) {
    let national: string | undefined;
    if (digits.startsWith('254') && digits.length === 12 && !compact.startsWith('+0')) national = digits.slice(3);
    else if (digits.startsWith('0') && digits.length === 10 && !compact.startsWith('+')) national = digits.slice(1);
    if (national && /^[17]\d{8}$/.test(national)) return `254${national}`;
  }
  throw new AppError('parameter_invalid', `"${trimmed.slice(0, 40)}" is not a Kenyan mobile number. ${PHONE_FORMAT_HINT}`, {
    param: 'phone',
  });
}

/**
 * M-Pesa moves whole shillings only. Amounts are minor units (cents), so 150000 is KES 1,500 and
 * 150050 (KES 1,500.50) is refused with a clear 400 instead of being rounded.
 */
export function toWholeShillings(amountMinor: number, currency: string): number {
  if (currency.toLowerCase() !== 'kes') {
    throw new AppError('currency_unsupported', `M-Pesa only accepts KES; this payment is in ${currency.toUpperCase()}.`, {
      param: 'currency',
    });
  }
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
    throw new AppError('parameter_invalid', 'The amount must be a positive whole number of cents.', { param: 'amount' });
  }
  if (amountMinor % 100 !== 0) {
    throw new AppError(
      'parameter_invalid',
      `M-Pesa accepts whole shillings only: ${amountMinor} cents is KES ${(amountMinor / 100).toFixed(2)}.`,
      { param: 'amount' },
    );
  }
  return amountMinor / 100;
}

/** Daraja's AccountReference is at most 12 characters of letters, digits and spaces. */
export function accountReference(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9 ]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 12)
    .trim();
  return cleaned || 'paykit';
}
