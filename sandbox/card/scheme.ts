import type { CardBrand } from './card-number';
import {
  decideAuthorization,
  decideRefund,
  type AuthorizationAtIssuer,
  type IssuerDecision,
  type RefundDecision,
} from './issuer';
import type { IssuerProfile } from './test-cards';

/**
 * The card scheme sits between acquirer and issuer: it routes an authorization to the issuing
 * bank by brand. The sandbox has one simulated issuer per scheme; all of them follow the card's
 * issuer profile, but keeping the hop explicit mirrors how a real network is wired.
 */
interface SchemeIssuer {
  name: string;
  authorize(request: AuthorizationAtIssuer): IssuerDecision;
  refund(issuerProfile: IssuerProfile): RefundDecision;
}

const ISSUERS_BY_BRAND: Readonly<Record<CardBrand, SchemeIssuer>> = {
  visa: { name: 'Sandbox Visa Issuing Bank', authorize: decideAuthorization, refund: decideRefund },
  mastercard: { name: 'Sandbox Mastercard Issuing Bank', authorize: decideAuthorization, refund: decideRefund },
  amex: { name: 'Sandbox American Express', authorize: decideAuthorization, refund: decideRefund },
};

function issuerFor(brand: CardBrand): SchemeIssuer {
  const issuer = ISSUERS_BY_BRAND[brand];
  if (!issuer) throw new Error(`no issuer routes for brand ${String(brand)}`);
  return issuer;
}

export function routeAuthorization(brand: CardBrand, request: AuthorizationAtIssuer): IssuerDecision {
  return issuerFor(brand).authorize(request);
}

export function routeRefund(brand: CardBrand, issuerProfile: IssuerProfile): RefundDecision {
  return issuerFor(brand).refund(issuerProfile);
}
