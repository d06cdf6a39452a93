'use client';

import { useActionState } from 'react';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import styles from '@/components/dashboard/access/access.module.css';
import { FormMessage } from '@/components/dashboard/access/form-message';
import { CheckField } from '@/components/dashboard/ui/field';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

/** One checkbox: email customers a receipt for each payment and refund. */
export function ReceiptsSettingForm({ save, canWrite, enabled }: { save: PlainAction; canWrite: boolean; enabled: boolean }) {
  const [state, action, pending] = useActionState(save, null);
  return (
    <form action={action} className={styles.form}>
      <fieldset disabled={!canWrite}>
        <CheckField id="receipts-enabled" label="Email customers a receipt for each successful payment and refund">
          <input id="receipts-enabled" name="receipts_enabled" type="checkbox" defaultChecked={enabled} data-testid="receipts-enabled" />
        </CheckField>
      </fieldset>
      <FormMessage state={state} success="Receipt setting saved." testId="receipts" />
      {canWrite ? (
        <div>
          <button type="submit" className="button button-primary" disabled={pending} data-testid="receipts-save">
            {pending ? 'Saving…' : 'Save'}
          </button>
        </div>
      ) : null}
    </form>
  );
}
