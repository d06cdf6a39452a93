'use client';

import { useActionState, type ReactNode } from 'react';
import type { ActionResult } from '@/lib/dashboard/actor';
import styles from './forms.module.css';

/** An action may describe its own outcome (`{ message }`), e.g. what an endpoint answered. */
function resultMessage(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string'
    ? data.message
    : undefined;
}

export type FormAction<T> = (previous: ActionResult<T> | null, form: FormData) => Promise<ActionResult<T>>;

/**
 * A dashboard form bound to a server action: disables its button while pending (a double click
 * sends one request; the click key makes a second one a replay anyway) and shows the outcome.
 */
export function ActionForm<T>({
  action,
  children,
  submitLabel,
  pendingLabel = 'Working…',
  successText,
  testId,
  variant = 'primary',
  className,
  inline = false,
}: {
  action: FormAction<T>;
  children?: ReactNode;
  submitLabel: string;
  pendingLabel?: string;
  successText?: string;
  testId: string;
  variant?: 'primary' | 'secondary' | 'danger';
  className?: string;
  inline?: boolean;
}) {
  const [state, formAction, pending] = useActionState<ActionResult<T> | null, FormData>(action, null);
  const buttonClass = `button button-small ${variant === 'primary' ? 'button-primary' : variant === 'danger' ? `button-primary ${styles.danger}` : 'button-secondary'}`;
  return (
    <form action={formAction} data-testid={testId} className={className} style={inline ? { display: 'inline' } : undefined}>
      {children}
      <button type="submit" className={buttonClass} disabled={pending} data-testid={`${testId}-submit`}>
        {pending ? pendingLabel : submitLabel}
      </button>
      <span aria-live="polite">
        {state && !state.ok ? (
          <span role="alert" className="notice notice-error block" data-testid={`${testId}-error`}>
            {state.error}
          </span>
        ) : null}
        {state?.ok && (successText || resultMessage(state.data)) ? (
          <span className="muted small block" data-testid={`${testId}-success`}>
            {resultMessage(state.data) ?? successText}
          </span>
        ) : null}
      </span>
    </form>
  );
}
