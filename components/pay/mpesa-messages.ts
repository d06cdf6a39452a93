/** Customer-facing titles and next steps for each M-Pesa outcome; the server's message gives the detail. */

export interface MpesaProblem {
  title: string;
  message: string;
}

const TITLES: Record<string, string> = {
  mpesa_wrong_pin: 'Wrong M-Pesa PIN',
  mpesa_cancelled: 'You cancelled the payment',
  mpesa_insufficient_funds: 'Not enough money in M-Pesa',
  mpesa_phone_unreachable: 'We could not reach your phone',
  mpesa_expired: 'The M-Pesa request expired',
  mpesa_duplicate: 'Please wait before paying again',
  mpesa_busy: 'M-Pesa is busy',
  mpesa_unresolved: 'M-Pesa did not confirm in time',
  mpesa_unconfirmed: 'M-Pesa did not confirm the request',
  payment_blocked: 'This payment was blocked',
  rate_limited: 'M-Pesa is busy',
  psp_unavailable: 'M-Pesa is not available right now',
  parameter_invalid: 'Check your details',
  checkout_session_unexpected_state: 'This checkout can no longer be paid',
  payment_in_progress: 'A payment is already in progress',
};

export function mpesaProblem(code: string | undefined, message: string | undefined): MpesaProblem {
  return {
    title: (code && TITLES[code]) || 'The M-Pesa payment did not go through',
    message: message?.trim() || 'Something went wrong while requesting the payment. Please try again.',
  };
}

/** Accepts what a customer types and gives a hint before the server's stricter check. */
export function looksLikeKenyanMobile(input: string): boolean {
  const compact = input.replace(/[\s\-().]/g, '');
  return /^(?:\+?254|0)[17]\d{8}$/.test(compact);
}

/**
 * The field shows +254 in front, so customers type the national number: "712 345 678" becomes
 * "+254712345678". A number typed in full ("0712…", "254…", "+254…") is left as it is.
 */
export function withKenyanCountryCode(input: string): string {
  const compact = input.replace(/[\s\-().]/g, '');
  return /^[17]\d{8}$/.test(compact) ? `+254${compact}` : compact;
}
