import type { IssuerProfile } from './test-cards';

/** What the simulated issuing bank answers to an authorization request. */
export type IssuerDecision =
  | { outcome: 'approved' }
  | { outcome: 'declined'; declineCode: string; declineMessage: string }
  /** The issuer wants the cardholder authenticated (3-D Secure) before it decides. */
  | { outcome: 'challenge' };

const DECLINES: Readonly<Record<Exclude<IssuerProfile, 'approve' | 'authentication_required' | 'refund_fails'>, string>> = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  // Banks do not tell the shopper a card was reported lost or stolen.
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
};

export const AUTHENTICATION_FAILED = {
  declineCode: 'authentication_failed',
  declineMessage: 'The cardholder could not be authenticated.',
} as const;

export interface AuthorizationAtIssuer {
  issuerProfile: IssuerProfile;
  /** true once the cardholder completed a 3-D Secure challenge for this payment. */
  cardholderAuthenticated: boolean;
}

export function decideAuthorization(request: AuthorizationAtIssuer): IssuerDecision {
  const profile = request.issuerProfile;
  if (profile === 'approve' || profile === 'refund_fails') return { outcome: 'approved' };
  if (profile === 'authentication_required') {
    return request.cardholderAuthenticated ? { outcome: 'approved' } : { outcome: 'challenge' };
  }
  return { outcome: 'declined', declineCode: profile, declineMessage: DECLINES[profile] };
}

/** What the issuing bank answers when the acquirer returns money to the card. */
export type RefundDecision = { outcome: 'succeeded' } | { outcome: 'failed'; failureReason: string };

export function decideRefund(issuerProfile: IssuerProfile): RefundDecision {
  // Stripe's 4000000000005126: the card was closed after the charge, so the money cannot go back.
  if (issuerProfile === 'refund_fails') return { outcome: 'failed', failureReason: 'expired_or_canceled_card' };
  return { outcome: 'succeeded' };
}
