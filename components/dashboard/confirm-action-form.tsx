'use client';

import { useState, type ReactNode } from 'react';
import { ActionForm, type FormAction } from './action-form';
import formStyles from './forms.module.css';

/**
 * A destructive action behind a second, explicit step: the first button only asks, naming what
 * will happen; "Keep" backs out. The server action is bound to the confirming form alone.
 */
export function ConfirmActionForm<T>({
  action,
  children,
  askLabel,
  question,
  confirmLabel,
  pendingLabel,
  testId,
}: {
  action: FormAction<T>;
  children?: ReactNode;
  askLabel: string;
  question: ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  testId: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        className={`button button-small button-primary ${formStyles.danger}`}
        onClick={() => setAsking(true)}
        data-testid={`${testId}-ask`}
      >
        {askLabel}
      </button>
    );
  }
  return (
    <div role="group" aria-label={askLabel} className={formStyles.confirm} data-testid={`${testId}-confirm`}>
      <p className="small">{question}</p>
      <div className={formStyles.row}>
        <ActionForm
          action={action}
          submitLabel={confirmLabel}
          pendingLabel={pendingLabel}
          variant="danger"
          testId={testId}
          inline
        >
          {children}
        </ActionForm>
        <button
          type="button"
          className="button button-small button-secondary"
          onClick={() => setAsking(false)}
          data-testid={`${testId}-keep`}
        >
          Keep it
        </button>
      </div>
    </div>
  );
}
