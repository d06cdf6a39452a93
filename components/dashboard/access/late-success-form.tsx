'use client';

import { useActionState } from 'react';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { CheckField } from '../ui/field';
import { FormMessage } from './form-message';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

/** One checkbox: the "accept late successes" reconciliation policy (off by default). */
export function LateSuccessPolicyForm({ save, canWrite, enabled }: { save: PlainAction; canWrite: boolean; enabled: boolean }) {
  const [state, action, pending] = useActionState(save, null);
  return (
    <form action={action} className={styles.form}>
      <fieldset disabled={!canWrite}>
        <CheckField
          id="accept-late-successes"
          label="Accept late successes: book a payment the PSP charged after we had shown it failed, while its order is still open"
        >
          <input
            id="accept-late-successes"
            name="accept_late_successes"
            type="checkbox"
            defaultChecked={enabled}
            data-testid="accept-late-successes"
          />
        </CheckField>
      </fieldset>
      <FormMessage state={state} success="Late-success policy saved." testId="late-success" />
      {canWrite ? (
        <div>
          <button type="submit" className="button button-primary" disabled={pending} data-testid="late-success-save">
            {pending ? 'Saving…' : 'Save'}
          </button>
        </div>
      ) : null}
    </form>
  );
}
