import type { CardBrand } from './card-number';
import { decideAuthorization, type AuthorizationAtIssuer, type IssuerDecision } from './issuer';

/**
 * The card scheme sits between acquirer and issuer: it routes an authorization to the issuing
 * bank by brand. The sandbox has one simulated issuer per scheme; all of them follow the card's
 * issuer profile, but keeping the hop explicit mirrors how a real network is wired.
 */
interface SchemeIssuer {
  name: string;
  authorize(request: AuthorizationAtIssuer): IssuerDecision;
}

const ISSUERS_BY_BRAND: Readonly<Record<CardBrand, SchemeIssuer>> = {
  visa: { name: 'Sandbox Visa Issuing Bank', authorize: decideAuthorization },
  mastercard: { name: 'Sandbox Mastercard Issuing Bank', authorize: decideAuthorization },
  amex: { name: 'Sandbox American Express', authorize: decideAuthorization },
};

export function routeAuthorization(brand: CardBrand, request: AuthorizationAtIssuer): IssuerDecision {
  const issuer = ISSUERS_BY_BRAND[brand];
  if (!issuer) throw new Error(`no issuer routes for brand ${String(brand)}`);
  return issuer.authorize(request);
}
