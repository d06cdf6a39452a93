/** Card brands as people write them ("Visa", not "visa" or "VISA"). */
const CARD_BRAND_NAMES: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
};

export function cardBrandName(brand: string): string {
  return CARD_BRAND_NAMES[brand.toLowerCase()] ?? (brand ? brand.charAt(0).toUpperCase() + brand.slice(1) : 'Card');
}

/** "Visa •••• 4242", "M-Pesa QKX12AB34C": how a receipt names the way the customer paid. */
export function methodLabel(input: {
  card?: { brand: string; last4: string } | null;
  mpesaReceipt?: string | null;
  paymentMethodType?: string;
}): string {
  if (input.card) return `${cardBrandName(input.card.brand)} •••• ${input.card.last4}`;
  if (input.mpesaReceipt) return `M-Pesa ${input.mpesaReceipt}`;
  if (input.paymentMethodType === 'mpesa') return 'M-Pesa';
  return 'Card';
}
