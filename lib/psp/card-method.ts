import { notSupported, type CallbackHint, CardPspAdapter, PaymentMethodAdapter, PaymentMethodCapabilities, PaymentMethodWording, PspPayment } from './types';

/**
 * Card payments as a payment method: any card PSP client (the sandbox card network, Stripe) behind
 * the one door. A card PSP has idempotency keys on every call, so re-sending authorize with the
 * attempt's key is a read at a PSP that already has the payment.
 */

export const CARD_WORDING: PaymentMethodWording = {
  notSent: 'The card network could not be reached.',
  notSentRetry: 'The card network could not be reached. Try again.',
  notSentError: 'The card network could not process this request. No charge was made; try again shortly.',
  busy: 'The card network is busy. No charge was made; try again shortly.',
  unknown: 'The card network did not answer in time. The payment is processing and will be resolved; do not retry with a new payment.',
  unresolved: 'The card network did not confirm this payment before the deadline.',
};

export function cardMethodAdapter(
  psp: CardPspAdapter,
  capabilities: PaymentMethodCapabilities,
  /** The PSP's callback format (the sandbox's signed events, Stripe's webhooks). */
  parseCallback: (rawBody: string) => CallbackHint | null,
): PaymentMethodAdapter {
  return {
    parseCallback,
    name: psp.name,
    capabilities,
    beginKey: 'authorize',
    wording: CARD_WORDING,
    async readPaymentMethod(paymentMethod, merchantId) {
      const info = await psp.retrieveCardToken(paymentMethod, merchantId);
      return { type: 'card', reference: info.token, card: info.card, riskLevel: info.riskLevel, ...(info.used ? { used: true } : {}) };
    },
    ...(psp.saveCard
      ? {
          async savePaymentMethod(reference: string, merchantId: string, idempotencyKey: string) {
            const info = await psp.saveCard!(reference, merchantId, idempotencyKey);
            return { type: 'card' as const, reference: info.token, card: info.card, riskLevel: info.riskLevel };
          },
        }
      : {}),
    // Which card PSP may charge a currency is the router's choice (it skips those that cannot).
    assertCanCharge: () => undefined,
    begin: (request) =>
      psp.authorize({
        idempotencyKey: request.idempotencyKey,
        amount: request.amount,
        currency: request.currency,
        token: request.paymentMethod.reference,
        capture: request.capture,
        returnUrl: request.returnUrl,
        merchantId: request.merchantId,
        ...(request.offSession ? { offSession: true } : {}),
      }),
    async resolve(attempt): Promise<PspPayment | null> {
      if (attempt.pspReference) return psp.retrieve(attempt.pspReference);
      if (!attempt.paymentMethodToken) return null;
      return psp.authorize({
        idempotencyKey: attempt.pspIdempotencyKey,
        amount: attempt.amount,
        currency: attempt.currency,
        token: attempt.paymentMethodToken,
        capture: attempt.capture,
        returnUrl: attempt.returnUrl,
        merchantId: attempt.merchantId,
        ...(attempt.offSession ? { offSession: true } : {}),
      });
    },
    capture: (ref, amount, key) => psp.capture(ref, amount, key),
    cancel: (ref, key) => psp.cancel(ref, key),
    refund: (ref, amount, key) => psp.refund(ref, amount, key),
    retrieveRefund: (ref) => psp.retrieveRefund(ref),
    settlementFile: (date) => (psp.settlementFile ? psp.settlementFile(date) : notSupported(psp.name, 'a settlement file')),
    // Without a contract on record the PSP is expected to keep nothing: any fee it took is flagged.
    pspFeeSchedule: psp.feeSchedule ?? { percentBps: 0, fixedMinor: 0 },
    settlementReport: (range) =>
      psp.settlementReport ? psp.settlementReport(range) : Promise.reject(new Error(`${psp.name}: no settlement report`)),
  };
}
