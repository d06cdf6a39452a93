'use client';

import { useActionState } from 'react';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { FormMessage } from '@/components/dashboard/access/form-message';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

/** The actions a person can take on one exception; each needs a note (it goes into the audit log). */
export function ExceptionActions({ act, exceptionId, canWriteOff, canRefund }: { act: PlainAction; exceptionId: string; canWriteOff: boolean; canRefund: boolean }) {
  const [state, action, pending] = useActionState(act, null);
  return (
    <form action={action} data-testid="exception-actions">
      <input type="hidden" name="exception_id" value={exceptionId} />
      <label>
        Note <input name="note" required minLength={3} maxLength={2000} data-testid="exception-note" />
      </label>{' '}
      <button type="submit" name="action" value="resolve" className="button" disabled={pending} data-testid="exception-resolve">
        Resolve
      </button>{' '}
      {canWriteOff ? (
        <button type="submit" name="action" value="write_off" className="button" disabled={pending} data-testid="exception-write-off">
          Write off
        </button>
      ) : null}{' '}
      {canRefund ? (
        <button type="submit" name="action" value="refund" className="button" disabled={pending} data-testid="exception-refund">
          Refund at PSP
        </button>
      ) : null}
      <FormMessage state={state} success="Done." testId="exception" />
    </form>
  );
}

export function RerunForm({ rerun, psp, date }: { rerun: PlainAction; psp: string; date: string }) {
  const [state, action, pending] = useActionState(rerun, null);
  return (
    <form action={action}>
      <input type="hidden" name="psp" value={psp} />
      <input type="hidden" name="date" value={date} />
      <button type="submit" className="button" disabled={pending} data-testid="run-rerun">
        {pending ? 'Asking…' : 'Re-run'}
      </button>
      <FormMessage state={state} success="Queued." testId="rerun" />
    </form>
  );
}
