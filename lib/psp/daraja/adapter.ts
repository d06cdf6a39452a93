import { AppError } from '@/lib/errors';
import { notSupported, PspError, type PaymentMethodAdapter, type PaymentMethodCapabilities, type PspPayment } from '@/lib/psp/types';
import { stkCallbackHint } from './callback';
import { DARAJA_CAPABILITIES, DarajaError } from './client';
import { accountReference, normalizeMsisdn, toWholeShillings } from './format';
import { interpretResultCode } from './result-codes';
import { darajaSettlementFile, type DarajaSettlementDeps } from './settlement';
import { refundByDaraja, retrieveMpesaRefund, type DarajaRefundDeps } from './refunds';
import { findMpesaPayment, insertMpesaPayment, recordPushAccepted, recordQueryResult } from './store';

/**
 * M-Pesa Express (STK push) behind the one door. begin pushes a prompt to the customer's phone;
 * the outcome is never in that answer: resolve asks Daraja (STK query) when the callback or the
 * resolution workflow prompts it. A payment is paid ONLY on an STK query's answer: callbacks are
 * unsigned, so they only tell us when to ask.
 *
 * No capture and no cancel (M-Pesa has neither). Refunds are asynchronous (refunds.ts): a Reversal
 * of the whole receipt or a B2C payout of part of it, pending until Daraja's Result is confirmed by
 * Transaction Status.
 */

const NOT_SENT = 'M-Pesa could not accept this request. Nothing was sent to your phone or charged; try again shortly.';

export const MPESA_CAPABILITIES: PaymentMethodCapabilities = { ...DARAJA_CAPABILITIES, manualCapture: false, cancel: false };

export interface DarajaMethodDeps extends DarajaRefundDeps, DarajaSettlementDeps {
  callbackUrl: () => string;
}

/** B2C pays from KES 10 (Daraja's limit rule). */
const MIN_B2C_MINOR = 10_00;

export function darajaMethodAdapter(name: string, deps: DarajaMethodDeps): PaymentMethodAdapter {
  return {
    name,
    capabilities: MPESA_CAPABILITIES,
    // Daraja has no idempotency key; this names the attempt's single STK push.
    beginKey: 'stkpush',
    wording: {
      notSent: NOT_SENT,
      notSentRetry: NOT_SENT,
      notSentError: NOT_SENT,
      busy: 'M-Pesa is receiving too many requests right now. Nothing was sent to your phone; try again in a minute.',
      unknown:
        'M-Pesa did not answer in time. If a prompt appears on your phone you may complete it; this payment will be resolved. Do not pay again.',
      unresolved: 'M-Pesa did not confirm this payment in time. If money left your M-Pesa account, contact the merchant with your receipt.',
    },
    readPaymentMethod: (phone) => Promise.resolve({ type: 'mpesa', reference: normalizeMsisdn(phone), phone: normalizeMsisdn(phone), riskLevel: null }),
    assertCanCharge(payment) {
      toWholeShillings(payment.amount, payment.currency);
      if (!payment.capture) {
        throw new AppError('parameter_invalid', 'M-Pesa payments are captured at once; they cannot be used with capture_method=manual.', {
          param: 'capture_method',
        });
      }
    },
    async recordAttempt(tx, attempt, method) {
      await insertMpesaPayment(tx, { attemptId: attempt.id, merchantId: attempt.merchantId, phone: method.reference, amountMinor: attempt.amount });
    },
    async begin(request): Promise<PspPayment> {
      let accepted;
      try {
        accepted = await deps.client().stkPush({
          amount: toWholeShillings(request.amount, request.currency),
          phone: request.paymentMethod.reference,
          callbackUrl: deps.callbackUrl(),
          accountReference: accountReference(request.merchantName),
          description: 'Payment',
        });
      } catch (err) {
        // Spike arrest: Daraja took nothing; say so in the shared terms (the caller fails it as busy).
        if (err instanceof DarajaError && err.definite && err.isSpikeArrest)
          throw new PspError('rejected', err.message, false, err.httpStatus, 'rate_limited');
        throw err;
      }
      await recordPushAccepted(request.attemptId, accepted);
      // The prompt is on the phone: the outcome comes later, by callback and STK query.
      return { pspReference: accepted.checkoutRequestId, status: 'pending', amount: request.amount, amountCaptured: 0, currency: request.currency };
    },
    async resolve(attempt, hint): Promise<PspPayment | null> {
      const mpesa = await findMpesaPayment(attempt.id);
      if (!mpesa) return null;
      const base = { amount: attempt.amount, currency: attempt.currency, pspReference: mpesa.checkoutRequestId ?? '' };
      if (!mpesa.checkoutRequestId) {
        // The push's answer was lost: there is nothing to query. Fail it with a reason reconciliation can follow up.
        return {
          ...base,
          status: 'declined',
          amountCaptured: 0,
          failure: {
            code: 'mpesa_unconfirmed',
            message:
              'We could not confirm this M-Pesa request. If you approved a payment on your phone, contact the merchant with your M-Pesa receipt.',
          },
        };
      }
      const answer = await deps.client().stkQuery(mpesa.checkoutRequestId);
      if (answer.state === 'processing') return { ...base, status: 'pending', amountCaptured: 0 };
      if (answer.checkoutRequestId !== mpesa.checkoutRequestId)
        throw new PspError('bad_response', 'Daraja: STK query answered for another CheckoutRequestID', true);
      const result = interpretResultCode(answer.resultCode, answer.resultDesc);
      await recordQueryResult(attempt.id, {
        resultCode: answer.resultCode,
        resultDesc: answer.resultDesc,
        ...(result.outcome === 'succeeded' && hint?.receiptNumber ? { receiptNumber: hint.receiptNumber } : {}),
      });
      if (result.outcome === 'succeeded') return { ...base, status: 'captured', amountCaptured: attempt.amount };
      return { ...base, status: 'declined', amountCaptured: 0, failure: { code: result.failureCode, message: result.message } };
    },
    capture: () => notSupported(name, 'capture'),
    cancel: () => notSupported(name, 'cancel'),
    assertCanRefund(refund) {
      toWholeShillings(refund.amount, refund.currency);
      // a partial refund is a B2C payout, which M-Pesa makes from KES 10 (a full one reverses any amount)
      if (refund.amount < refund.amountCaptured && refund.amount < MIN_B2C_MINOR) {
        throw new AppError('amount_too_small', 'A partial M-Pesa refund is paid by B2C, which starts at KES 10.00.', { param: 'amount' });
      }
    },
    refund: (pspReference, amount, idempotencyKey) =>
      refundByDaraja(deps, { paymentReference: pspReference, amountMinor: amount, refundKey: idempotencyKey }),
    retrieveRefund: (reference) => retrieveMpesaRefund(reference),
    settlementReport: (range) => deps.client().settlementReport(range),
    settlementFile: (date, now) => darajaSettlementFile(deps, date, now),
    // Safaricom charges the paybill, not per transaction in the statement: no fee is expected.
    pspFeeSchedule: { percentBps: 0, fixedMinor: 0 },
    parseCallback: stkCallbackHint,
  };
}
