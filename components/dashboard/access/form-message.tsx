import type { ActionResult } from './action-result';

/** The outcome of a form's last submit, announced to screen readers. */
export function FormMessage({ state, success, testId }: { state: ActionResult<unknown>; success?: string; testId: string }) {
  if (!state) return null;
  if (!state.ok) {
    return (
      <p role="alert" className="notice notice-error" data-testid={`${testId}-error`}>
        {state.error}
      </p>
    );
  }
  return success ? (
    <p role="status" className="notice" data-testid={`${testId}-success`}>
      {success}
    </p>
  ) : null;
}
