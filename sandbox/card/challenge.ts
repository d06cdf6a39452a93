import { findPaymentWithCard } from './payment-store';

/** What the 3-D Secure page shows the cardholder: no merchant data, just the amount and the card. */
export interface ChallengeView {
  paymentId: string;
  status: string;
  amount: number;
  currency: string;
  brand: string;
  last4: string;
  returnUrl: string | null;
}

export async function findChallenge(paymentId: string): Promise<ChallengeView | undefined> {
  const found = await findPaymentWithCard(paymentId);
  if (!found) return undefined;
  const { payment, token } = found;
  return {
    paymentId: payment.id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    brand: token.brand,
    last4: token.last4,
    returnUrl: payment.returnUrl,
  };
}

/** Where the browser goes after the challenge: the merchant's return_url, its own query kept. */
export function returnUrlAfterChallenge(returnUrl: string, paymentId: string): string {
  const url = new URL(returnUrl);
  url.searchParams.set('sandbox_payment', paymentId);
  return url.toString();
}
