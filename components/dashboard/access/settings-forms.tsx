'use client';

import { useActionState } from 'react';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { FormMessage } from './form-message';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

const PSP_LABELS: Record<string, string> = { sandbox_card: 'Sandbox card network', stripe: 'Stripe', daraja: 'M-Pesa (Daraja)' };

export function ProfileForm({ save, canWrite, name, email, supportEmail }: { save: PlainAction; canWrite: boolean; name: string; email: string; supportEmail: string }) {
  const [state, action, pending] = useActionState(save, null);
  const invalid = (f: string) => state?.ok === false && state.field === f;
  return (
    <form action={action} className={styles.form}>
      <fieldset disabled={!canWrite}>
        <div>
          <label htmlFor="profile-name">Business name</label>
          <input id="profile-name" name="name" defaultValue={name} required maxLength={200} data-testid="profile-name" aria-invalid={invalid('name')} />
          <p className={styles.hint}>Shown to customers on the pay page and in the dashboard.</p>
        </div>
        <div>
          <label htmlFor="profile-support-email">Support email</label>
          <input id="profile-support-email" name="supportEmail" type="email" defaultValue={supportEmail} data-testid="profile-support-email" aria-invalid={invalid('supportEmail')} aria-describedby="support-hint" />
          <p id="support-hint" className={styles.hint}>
            Where customers can reach you (optional). Your sign-up email, {email}, stays private.
          </p>
        </div>
      </fieldset>
      <FormMessage state={state} success="Profile saved." testId="profile" />
      {canWrite ? (
        <div>
          <button type="submit" className="button button-primary" disabled={pending} data-testid="profile-save">
            {pending ? 'Saving…' : 'Save profile'}
          </button>
        </div>
      ) : null}
    </form>
  );
}

export function PspRoutingForm({ save, canWrite, card, mpesa, cardOptions, mpesaOptions }: { save: PlainAction; canWrite: boolean; card: string[]; mpesa: string[]; cardOptions: readonly string[]; mpesaOptions: readonly string[] }) {
  const [state, action, pending] = useActionState(save, null);
  return (
    <form action={action} className={styles.form}>
      <fieldset disabled={!canWrite}>
        <div className={styles.inline}>
          <div>
            <label htmlFor="card-primary">Cards: first choice</label>
            <select id="card-primary" name="card_primary" defaultValue={card[0]} data-testid="routing-card-primary">
              {cardOptions.map((p) => (
                <option key={p} value={p}>
                  {PSP_LABELS[p] ?? p}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="card-fallback">Cards: fallback</label>
            <select id="card-fallback" name="card_fallback" defaultValue={card[1] ?? 'none'} data-testid="routing-card-fallback">
              <option value="none">No fallback</option>
              {cardOptions.map((p) => (
                <option key={p} value={p}>
                  {PSP_LABELS[p] ?? p}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div>
          <label htmlFor="mpesa-primary">M-Pesa</label>
          <select id="mpesa-primary" name="mpesa_primary" defaultValue={mpesa[0]} data-testid="routing-mpesa-primary">
            {mpesaOptions.map((p) => (
              <option key={p} value={p}>
                {PSP_LABELS[p] ?? p}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <FormMessage state={state} success="Routing preferences saved." testId="routing" />
      {canWrite ? (
        <div>
          <button type="submit" className="button button-primary" disabled={pending} data-testid="routing-save">
            {pending ? 'Saving…' : 'Save preferences'}
          </button>
        </div>
      ) : null}
    </form>
  );
}
