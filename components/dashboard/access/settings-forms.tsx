'use client';

import { useActionState } from 'react';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { Field, Fields } from '../ui/field';
import { FormMessage } from './form-message';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

const PSP_LABELS: Record<string, string> = { sandbox_card: 'Sandbox card network', stripe: 'Stripe', daraja: 'M-Pesa (Daraja)' };

export function ProfileForm({ save, canWrite, name, email, supportEmail }: { save: PlainAction; canWrite: boolean; name: string; email: string; supportEmail: string }) {
  const [state, action, pending] = useActionState(save, null);
  const invalid = (f: string) => state?.ok === false && state.field === f;
  return (
    <form action={action} className={styles.form}>
      <fieldset disabled={!canWrite}>
        <Field id="profile-name" label="Business name" hint="Shown to customers on the pay page and in the dashboard.">
          <input
            id="profile-name"
            name="name"
            defaultValue={name}
            required
            maxLength={200}
            data-testid="profile-name"
            aria-invalid={invalid('name')}
            aria-describedby="profile-name-hint"
          />
        </Field>
        <Field
          id="profile-support-email"
          label="Support email"
          hint={<>Where customers can reach you (optional). Your sign-up email, {email}, stays private.</>}
        >
          <input
            id="profile-support-email"
            name="supportEmail"
            type="email"
            defaultValue={supportEmail}
            data-testid="profile-support-email"
            aria-invalid={invalid('supportEmail')}
            aria-describedby="profile-support-email-hint"
          />
        </Field>
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
        <Fields>
          <Field id="card-primary" label="Cards: first choice">
            <select id="card-primary" name="card_primary" defaultValue={card[0]} data-testid="routing-card-primary">
              {cardOptions.map((p) => (
                <option key={p} value={p}>
                  {PSP_LABELS[p] ?? p}
                </option>
              ))}
            </select>
          </Field>
          <Field id="card-fallback" label="Cards: fallback">
            <select id="card-fallback" name="card_fallback" defaultValue={card[1] ?? 'none'} data-testid="routing-card-fallback">
              <option value="none">No fallback</option>
              {cardOptions.map((p) => (
                <option key={p} value={p}>
                  {PSP_LABELS[p] ?? p}
                </option>
              ))}
            </select>
          </Field>
        </Fields>
        <Field id="mpesa-primary" label="M-Pesa">
          <select id="mpesa-primary" name="mpesa_primary" defaultValue={mpesa[0]} data-testid="routing-mpesa-primary">
            {mpesaOptions.map((p) => (
              <option key={p} value={p}>
                {PSP_LABELS[p] ?? p}
              </option>
            ))}
          </select>
        </Field>
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
