/**
 * What each M-Pesa Express result means for the customer and for us. ResultCode arrives in the
 * STK callback and in the STK query answer; `500.001.1001` is the query's "still processing".
 */

export type MpesaResult =
  { outcome: 'succeeded'; resultCode: 0 } | { outcome: 'failed'; resultCode: number; failureCode: string; message: string };

interface Failure {
  failureCode: string;
  message: string;
}

export const MPESA_FAILURES: Record<number, Failure> = {
  1: {
    failureCode: 'mpesa_insufficient_funds',
    message: 'Your M-Pesa balance is too low for this payment. Top up or use Fuliza, then try again.',
  },
  1032: { failureCode: 'mpesa_cancelled', message: 'You cancelled the M-Pesa request on your phone. Nothing was charged.' },
  1037: {
    failureCode: 'mpesa_phone_unreachable',
    message: 'We could not reach your phone. Make sure it is on, unlocked and has network, then try again.',
  },
  2001: { failureCode: 'mpesa_wrong_pin', message: 'The M-Pesa PIN entered was wrong. Nothing was charged; try again.' },
  1019: {
    failureCode: 'mpesa_expired',
    message: 'The M-Pesa request expired before it was completed. Nothing was charged; try again.',
  },
  17: {
    failureCode: 'mpesa_duplicate',
    message: 'M-Pesa refused a second payment of the same amount to this number within 2 minutes. Wait 2 minutes and try again.',
  },
};

/** The query errorCode meaning "the customer has not answered yet". */
export const STILL_PROCESSING_ERROR_CODE = '500.001.1001';

/** Daraja's spike arrest: too many requests in a short time (HTTP 429). */
export const SPIKE_ARREST_ERROR_CODE = '500.003.02';

export function interpretResultCode(resultCode: number, resultDesc = ''): MpesaResult {
  if (resultCode === 0) return { outcome: 'succeeded', resultCode: 0 };
  const known = MPESA_FAILURES[resultCode];
  if (known) return { outcome: 'failed', resultCode, ...known };
  const detail = resultDesc.trim() ? ` (${resultDesc.trim().slice(0, 200)})` : '';
  return {
    outcome: 'failed',
    resultCode,
    failureCode: 'mpesa_failed',
    message: `M-Pesa could not complete the payment${detail}. Nothing was charged; try again.`,
  };
}
