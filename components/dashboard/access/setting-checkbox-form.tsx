'use client';

import { useActionState } from 'react';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { CheckField } from '../ui/field';
import { FormMessage } from './form-message';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

/**
 * One merchant setting that is a single checkbox (customer receipts, the late-success policy):
 * the box, the outcome message and a Save button for those who may change it.
 */
export function SettingCheckboxForm({
  save,
  canWrite,
  enabled,
  id,
  name,
  label,
  saved,
  testIds,
}: {
  save: PlainAction;
  canWrite: boolean;
  enabled: boolean;
  /** The input's id (its label points at it). */
  id: string;
  /** The form field the server action reads. */
  name: string;
  label: string;
  /** What the message says once saved. */
  saved: string;
  testIds: { input: string; message: string; save: string };
}) {
  const [state, action, pending] = useActionState(save, null);
  return (
    <form action={action} className={styles.form}>
      <fieldset disabled={!canWrite}>
        <CheckField id={id} label={label}>
          <input id={id} name={name} type="checkbox" defaultChecked={enabled} data-testid={testIds.input} />
        </CheckField>
      </fieldset>
      <FormMessage state={state} success={saved} testId={testIds.message} />
      {canWrite ? (
        <div>
          <button type="submit" className="button button-primary" disabled={pending} data-testid={testIds.save}>
            {pending ? 'Saving…' : 'Save'}
          </button>
        </div>
      ) : null}
    </form>
  );
}
