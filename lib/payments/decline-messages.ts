/**
 * What the customer reads for each decline code. Lost and stolen cards get the generic text on
 * purpose, as card networks require: the real reason is for the merchant (decline_code), not
 * for whoever holds the card.
 */
const CUSTOMER_MESSAGES: Record<string, string> = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  authentication_failed: 'We could not authenticate your payment. Choose another payment method and try again.',
  do_not_honor: 'Your card was declined.',
  // an off-session charge of a saved card: the issuer wants the customer back to authenticate
  authentication_required: 'Your bank needs you to confirm this payment. Return to the merchant to complete it.',
};

export function declineMessage(declineCode: string | undefined): string {
  return (declineCode && CUSTOMER_MESSAGES[declineCode]) ?? 'Your card was declined.';
}
