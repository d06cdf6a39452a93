/** Customer-facing wording for payment failures; the server's message gives the detail. */

export interface PaymentProblem {
  title: string;
  message: string;
}

const TITLES: Record<string, string> = {
  card_declined: 'Your card was declined',
  payment_blocked: 'This payment was blocked',
  authentication_failed: 'Card authentication failed',
  expired_card: 'Your card has expired',
  incorrect_cvc: 'The security code is incorrect',
  processing_error: 'The card could not be processed',
  rate_limited: 'Too many attempts',
  checkout_session_unexpected_state: 'This checkout can no longer be paid',
};

const HINTS: Record<string, string> = {
  card_declined: 'Try another card, or contact your bank.',
  payment_blocked:
    'For your security, further attempts from this network are paused. Please try again later or contact the merchant.',
  authentication_failed: 'Try again, or use another card.',
};

/**
 * Failures that get one fixed instruction instead of the server's detail plus a hint: after a
 * failed 3-D Secure challenge both said what to do, differently.
 */
const SINGLE_INSTRUCTION: Record<string, PaymentProblem> = {
  authentication_failed: {
    title: 'Card verification failed',
    message: 'Your bank could not confirm this payment. Press Pay to verify again, or enter a different card.',
  },
};

export function paymentProblem(code: string | undefined, message: string | undefined): PaymentProblem {
  const fixed = code ? SINGLE_INSTRUCTION[code] : undefined;
  if (fixed) return fixed;
  const title = (code && TITLES[code]) || 'The payment did not go through';
  const hint = code ? HINTS[code] : undefined;
  const detail = message?.trim() || 'Something went wrong while processing your payment. Please try again.';
  return { title, message: hint && !detail.includes(hint) ? `${detail} ${hint}` : detail };
}

/** Merchant-supplied URLs become links only when they are http(s). */
export function safeHttpUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}
