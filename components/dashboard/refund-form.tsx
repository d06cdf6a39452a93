'use client';

import { useActionState, useState } from 'react';
import type { ActionResult } from '@/lib/dashboard/actor';
import type { RefundResult } from '@/lib/dashboard/payment-actions';
import type { FormAction } from './action-form';
import styles from './forms.module.css';

const REASONS = [
  { value: 'requested_by_customer', label: 'Requested by customer' },
  { value: 'duplicate', label: 'Duplicate' },
  { value: 'fraudulent', label: 'Fraudulent' },
] as const;

/**
 * Refund with a confirmation step: the first submit only reviews (nothing is sent), the second
 * sends, under the click key rendered with the page.
 */
export function RefundForm({
  action,
  paymentIntentId,
  clickKey,
  currency,
  refundableLabel,
  refundableMajor,
}: {
  action: FormAction<RefundResult>;
  paymentIntentId: string;
  clickKey: string;
  currency: string;
  refundableLabel: string;
  refundableMajor: string;
}) {
  const [state, formAction, pending] = useActionState<ActionResult<RefundResult> | null, FormData>(action, null);
  // The review belongs to the result it was made after: once the server answers (a new result),
  // the form shows again, with the fresh click key of the re-rendered page.
  const [draft, setReview] = useState<{ amount: string; reason: string; after: typeof state } | null>(null);
  const review = draft && draft.after === state ? draft : null;
  const reasonLabel = REASONS.find((r) => r.value === review?.reason)?.label ?? 'No reason given';

  return (
    <div data-testid="refund-panel">
      {review ? (
        <form action={formAction} data-testid="refund-confirm-form">
          <input type="hidden" name="paymentIntentId" value={paymentIntentId} />
          <input type="hidden" name="clickKey" value={clickKey} />
          <input type="hidden" name="amount" value={review.amount} />
          <input type="hidden" name="reason" value={review.reason} />
          <div className={styles.confirm} role="group" aria-labelledby="refund-confirm-title">
            <p id="refund-confirm-title">
              <strong>
                Refund {review.amount ? `${currency.toUpperCase()} ${review.amount}` : `the full remaining ${refundableLabel}`}?
              </strong>
            </p>
            <p className="small">
              Reason: {reasonLabel}. The amount leaves your balance now; the customer sees it in a few days.
            </p>
            <div className={styles.row}>
              <button
                type="submit"
                className={`button button-small button-primary ${styles.danger}`}
                disabled={pending}
                data-testid="refund-confirm"
              >
                {pending ? 'Refunding…' : 'Confirm refund'}
              </button>
              <button
                type="button"
                className="button button-small button-secondary"
                onClick={() => setReview(null)}
                data-testid="refund-back"
              >
                Back
              </button>
            </div>
          </div>
        </form>
      ) : (
        <form
          data-testid="refund-form"
          onSubmit={(event) => {
            event.preventDefault();
            const data = new FormData(event.currentTarget);
            setReview({
              amount: String(data.get('amount') ?? '').trim(),
              reason: String(data.get('reason') ?? ''),
              after: state,
            });
          }}
        >
          <div className={styles.fields}>
            <div className={styles.field}>
              <label htmlFor="refund-amount">Amount ({currency.toUpperCase()})</label>
              <input
                id="refund-amount"
                name="amount"
                inputMode="decimal"
                placeholder={refundableMajor}
                aria-describedby="refund-amount-hint"
                data-testid="refund-amount"
              />
              <span id="refund-amount-hint" className={styles.hint}>
                Leave empty to refund all {refundableLabel} left.
              </span>
            </div>
            <div className={styles.field}>
              <label htmlFor="refund-reason">Reason</label>
              <select id="refund-reason" name="reason" defaultValue="requested_by_customer" data-testid="refund-reason">
                {REASONS.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <button type="submit" className="button button-small button-secondary" data-testid="refund-review">
            Review refund…
          </button>
        </form>
      )}
      <div aria-live="polite">
        {state && !state.ok ? (
          <p role="alert" className="notice notice-error" data-testid="refund-error">
            {state.error}
          </p>
        ) : null}
        {state?.ok ? (
          <p className="notice" data-testid="refund-success">
            Refund {state.data.id} created ({state.data.status}).
          </p>
        ) : null}
      </div>
    </div>
  );
}
