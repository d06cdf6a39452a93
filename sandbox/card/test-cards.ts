import type { CardBrand } from './card-number';

/** How the simulated issuing bank treats a card. Decided once, at tokenization, from the full number. */
export const ISSUER_PROFILES = [
  'approve',
  'generic_decline',
  'insufficient_funds',
  'lost_card',
  'stolen_card',
  'expired_card',
  'incorrect_cvc',
  'processing_error',
  'authentication_required',
  /** Asks for 3-D Secure on session; charged off session from a card on file it needs none (Stripe's 3155). */
  'authentication_unless_on_file',
  /** Authorizes normally; the issuer refuses every refund (the card was closed since). */
  'refund_fails',
] as const;
export type IssuerProfile = (typeof ISSUER_PROFILES)[number];

export type RiskLevel = 'normal' | 'elevated' | 'highest';

export interface CardBehaviour {
  issuerProfile: IssuerProfile;
  riskLevel: RiskLevel;
}

const APPROVE: CardBehaviour = { issuerProfile: 'approve', riskLevel: 'normal' };

/** Stripe's test card numbers, so merchants can use the ones they already know. */
const TEST_CARD_BEHAVIOURS: ReadonlyMap<string, CardBehaviour> = new Map([
  ['4242424242424242', APPROVE],
  ['4000000000000002', { issuerProfile: 'generic_decline', riskLevel: 'normal' }],
  ['4000000000009995', { issuerProfile: 'insufficient_funds', riskLevel: 'normal' }],
  ['4000000000009987', { issuerProfile: 'lost_card', riskLevel: 'normal' }],
  ['4000000000009979', { issuerProfile: 'stolen_card', riskLevel: 'normal' }],
  ['4000000000000069', { issuerProfile: 'expired_card', riskLevel: 'normal' }],
  ['4000000000000127', { issuerProfile: 'incorrect_cvc', riskLevel: 'normal' }],
  ['4000000000000119', { issuerProfile: 'processing_error', riskLevel: 'normal' }],
  ['4000002760003184', { issuerProfile: 'authentication_required', riskLevel: 'normal' }],
  ['4000002500003155', { issuerProfile: 'authentication_unless_on_file', riskLevel: 'normal' }],
  // The issuer would approve it; the network's fraud signal says never charge it.
  ['4100000000000019', { issuerProfile: 'approve', riskLevel: 'highest' }],
  ['4000000000005126', { issuerProfile: 'refund_fails', riskLevel: 'normal' }],
  ['5555555555554444', APPROVE],
  ['378282246310005', APPROVE],
]);

/** Any other valid card of a supported brand is approved. */
export function behaviourForNumber(digits: string): CardBehaviour {
  return TEST_CARD_BEHAVIOURS.get(digits) ?? APPROVE;
}

export interface TestPaymentMethod {
  number: string;
  brand: CardBrand;
}

/** Stripe's test payment-method ids, accepted wherever a token is. Each stands for one test card. */
export const TEST_PAYMENT_METHODS: Readonly<Record<string, TestPaymentMethod>> = {
  pm_card_visa: { number: '4242424242424242', brand: 'visa' },
  pm_card_mastercard: { number: '5555555555554444', brand: 'mastercard' },
  pm_card_amex: { number: '378282246310005', brand: 'amex' },
  pm_card_chargeDeclined: { number: '4000000000000002', brand: 'visa' },
  pm_card_chargeDeclinedInsufficientFunds: { number: '4000000000009995', brand: 'visa' },
  pm_card_chargeDeclinedLostCard: { number: '4000000000009987', brand: 'visa' },
  pm_card_chargeDeclinedStolenCard: { number: '4000000000009979', brand: 'visa' },
  pm_card_chargeDeclinedExpiredCard: { number: '4000000000000069', brand: 'visa' },
  pm_card_chargeDeclinedIncorrectCvc: { number: '4000000000000127', brand: 'visa' },
  pm_card_chargeDeclinedProcessingError: { number: '4000000000000119', brand: 'visa' },
  pm_card_threeDSecure2Required: { number: '4000002760003184', brand: 'visa' },
  pm_card_authenticationRequiredOnSetup: { number: '4000002500003155', brand: 'visa' },
  pm_card_radarBlock: { number: '4100000000000019', brand: 'visa' },
  pm_card_refundFail: { number: '4000000000005126', brand: 'visa' },
};

export function testPaymentMethod(id: string): TestPaymentMethod | undefined {
  return Object.hasOwn(TEST_PAYMENT_METHODS, id) ? TEST_PAYMENT_METHODS[id] : undefined;
}
