/**
 * Formatting and inline validation of the card form. Pure, and only ever run in the browser:
 * the card number goes from here to the card network's tokenizer and nowhere else.
 */

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'unknown';

export function digitsOnly(value: string): string {
  return value.replace(/\D/g, '');
}

export function cardBrand(digits: string): CardBrand {
  if (digits.startsWith('4')) return 'visa';
  if (/^3[47]/.test(digits)) return 'amex';
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  return 'unknown';
}

function maxLength(brand: CardBrand): number {
  return brand === 'amex' ? 15 : 19;
}

/** "4242424242424242" -> "4242 4242 4242 4242"; American Express groups 4-6-5. */
export function formatCardNumber(value: string): string {
  const digits = digitsOnly(value);
  const brand = cardBrand(digits);
  const d = digits.slice(0, maxLength(brand));
  if (brand === 'amex') return [d.slice(0, 4), d.slice(4, 10), d.slice(10)].filter(Boolean).join(' ');
  return d.replace(/(\d{4})(?=\d)/g, '$1 ');
}

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = Number(digits[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** "1" -> "1", "4" -> "04", "123" -> "12 / 3"; typing stays natural and backspace is never fought. */
export function formatExpiry(value: string): string {
  let digits = digitsOnly(value).slice(0, 4);
  if (digits.length === 1 && Number(digits) > 1) digits = `0${digits}`;
  return digits.length > 2 ? `${digits.slice(0, 2)} / ${digits.slice(2)}` : digits;
}

export function formatCvc(value: string, brand: CardBrand): string {
  return digitsOnly(value).slice(0, brand === 'amex' ? 4 : 3);
}

export interface Expiry {
  month: number;
  /** Four digits. */
  year: number;
}

export function parseExpiry(value: string): Expiry | null {
  const digits = digitsOnly(value);
  if (digits.length !== 4) return null;
  const month = Number(digits.slice(0, 2));
  if (month < 1 || month > 12) return null;
  return { month, year: 2000 + Number(digits.slice(2)) };
}

export interface CardInput {
  number: string;
  expiry: string;
  cvc: string;
}

export type CardField = 'number' | 'expiry' | 'cvc';
export type CardErrors = Partial<Record<CardField, string>>;

export function validateCardNumber(value: string): string | undefined {
  const digits = digitsOnly(value);
  if (digits.length === 0) return 'Enter your card number.';
  const brand = cardBrand(digits);
  const complete =
    brand === 'amex' ? digits.length === 15 : brand === 'unknown' ? digits.length >= 12 : [13, 16, 19].includes(digits.length);
  if (!complete) return 'Your card number is incomplete.';
  if (!passesLuhn(digits)) return 'Your card number is invalid.';
  if (brand === 'unknown') return 'We accept Visa, Mastercard and American Express.';
  return undefined;
}

export function validateExpiry(value: string, now: Date = new Date()): string | undefined {
  if (digitsOnly(value).length === 0) return 'Enter the expiry date.';
  const expiry = parseExpiry(value);
  if (!expiry)
    return digitsOnly(value).length < 4 ? 'Your card’s expiry date is incomplete.' : 'Your card’s expiry month is invalid.';
  const currentYear = now.getFullYear();
  const currentMonth = now.getMonth() + 1;
  if (expiry.year < currentYear || (expiry.year === currentYear && expiry.month < currentMonth))
    return 'Your card’s expiry date is in the past.';
  if (expiry.year > currentYear + 20) return 'Your card’s expiry year is invalid.';
  return undefined;
}

export function validateCvc(value: string, brand: CardBrand): string | undefined {
  const digits = digitsOnly(value);
  if (digits.length === 0) return 'Enter the security code.';
  const needed = brand === 'amex' ? 4 : 3;
  if (digits.length !== needed) return 'Your card’s security code is incomplete.';
  return undefined;
}

export function validateCard(input: CardInput, now?: Date): CardErrors {
  const brand = cardBrand(digitsOnly(input.number));
  const errors: CardErrors = {};
  const number = validateCardNumber(input.number);
  const expiry = validateExpiry(input.expiry, now);
  const cvc = validateCvc(input.cvc, brand);
  if (number) errors.number = number;
  if (expiry) errors.expiry = expiry;
  if (cvc) errors.cvc = cvc;
  return errors;
}

export function validateEmail(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter your email address.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return 'Enter a valid email address.';
  return undefined;
}
