/** Pure checks on a card number. Nothing here keeps or logs the number. */

export type CardBrand = 'visa' | 'mastercard' | 'amex';

const VALID_LENGTHS: Record<CardBrand, readonly number[]> = {
  visa: [13, 16, 19],
  mastercard: [16],
  amex: [15],
};

/** Strips the spaces (and dashes) people type; returns undefined unless only digits remain. */
export function normalizeCardNumber(raw: string): string | undefined {
  const digits = raw.replace(/[\s-]/g, '');
  return /^\d{12,19}$/.test(digits) ? digits : undefined;
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

/** BIN routing: which scheme a number belongs to, or undefined when the network does not carry it. */
export function brandForNumber(digits: string): CardBrand | undefined {
  if (digits.startsWith('4')) return 'visa';
  if (digits.startsWith('34') || digits.startsWith('37')) return 'amex';
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  return undefined;
}

export function hasValidLengthForBrand(digits: string, brand: CardBrand): boolean {
  return VALID_LENGTHS[brand].includes(digits.length);
}

export function cvcLengthForBrand(brand: CardBrand): number {
  return brand === 'amex' ? 4 : 3;
}
