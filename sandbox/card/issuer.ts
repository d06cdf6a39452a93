import type { IssuerProfile } from './test-cards';

/** What the simulated issuing bank answers to an authorization request. */
export type IssuerDecision =
  | { outcome: 'approved' }
  | { outcome: 'declined'; declineCode: string; declineMessage: string }
  /** The issuer wants the cardholder authenticated (3-D Secure) before it decides. */
  | { outcome: 'challenge' };

const DECLINES: Readonly<Record<Exclude<IssuerProfile, 'approve' | 'authentication_required' | 'authentication_unless_on_file' | 'refund_fails'>, string>> = {
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

/** An issuer that wants 3-D Secure cannot ask a cardholder who is not there: it declines. */
export const AUTHENTICATION_REQUIRED = {
  declineCode: 'authentication_required',
  declineMessage: 'The card requires authentication: bring the cardholder back on session to complete this payment.',
} as const;

export interface AuthorizationAtIssuer {
  issuerProfile: IssuerProfile;
  /** true once the cardholder completed a 3-D Secure challenge for this payment. */
  cardholderAuthenticated: boolean;
  /** The merchant charges without the cardholder present (a saved card, off_session). */
  offSession?: boolean;
  /** The credential is a card on file the cardholder saved with this merchant. */
  cardOnFile?: boolean;
}

/** The issuer wants the cardholder: a challenge on session, a decline off session. */
function wantsAuthentication(request: AuthorizationAtIssuer): IssuerDecision {
  if (request.cardholderAuthenticated) return { outcome: 'approved' };
  if (request.offSession) return { outcome: 'declined', ...AUTHENTICATION_REQUIRED };
  return { outcome: 'challenge' };
}

export function decideAuthorization(request: AuthorizationAtIssuer): IssuerDecision {
  const profile = request.issuerProfile;
  if (profile === 'approve' || profile === 'refund_fails') return { outcome: 'approved' };
  if (profile === 'authentication_required') return wantsAuthentication(request);
  if (profile === 'authentication_unless_on_file') {
    // the cardholder authenticated when the card was saved: later merchant-initiated charges pass
    return request.offSession && request.cardOnFile ? { outcome: 'approved' } : wantsAuthentication(request);
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
