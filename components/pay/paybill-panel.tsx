'use client';

import { useVerifiedPaymentRedirect } from './use-verified-payment-redirect';

export interface PaybillPanelProps {
  sessionId: string;
  amountLabel: string;
  businessNumber: string;
  accountNumber: string;
  /** false while the panel is hidden: it polls only while the customer looks at it. */
  active: boolean;
}

/**
 * Pay with Paybill: what the customer enters in the phone's M-PESA menu, and a wait that follows
 * to the merchant's success page once paykit has verified the payment (the pay page's M-Pesa
 * status, polled every 2 s).
 */
export function PaybillPanel({ sessionId, amountLabel, businessNumber, accountNumber, active }: PaybillPanelProps) {
  const paid = useVerifiedPaymentRedirect(sessionId, active);

  return (
    <div data-testid="paybill-panel">
      <ol className="paybill-steps">
        <li>On your phone, open M-PESA, then Lipa na M-PESA, then Pay Bill.</li>
        <li>
          Business number: <strong data-testid="paybill-business-number">{businessNumber}</strong>
        </li>
        <li>
          Account number: <strong data-testid="paybill-account-number">{accountNumber}</strong>
        </li>
        <li>
          Amount: <strong data-testid="paybill-amount">{amountLabel}</strong> (exactly; another amount is refused)
        </li>
        <li>Enter your M-PESA PIN and confirm.</li>
      </ol>
      <p className="muted" role="status" data-testid="paybill-status">
        {paid ? 'Payment received. Taking you back to the shop…' : 'Waiting for your payment. This page moves on by itself once M-Pesa confirms it.'}
      </p>
    </div>
  );
}
