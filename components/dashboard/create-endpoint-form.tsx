'use client';

import { useActionState } from 'react';
import type { ActionResult } from '@/lib/dashboard/actor';
import type { FormAction } from './action-form';
import styles from './forms.module.css';

type Created = { id: string; url: string; secret: string };

/** New endpoint; its signing secret is shown here once and never again. */
export function CreateEndpointForm({ action, eventTypes }: { action: FormAction<Created>; eventTypes: readonly string[] }) {
  const [state, formAction, pending] = useActionState<ActionResult<Created> | null, FormData>(action, null);
  return (
    <form action={formAction} data-testid="create-endpoint-form">
      <div className={styles.fields}>
        <div className={styles.field} style={{ flexBasis: '20rem' }}>
          <label htmlFor="endpoint-url">Endpoint URL</label>
          <input
            id="endpoint-url"
            name="url"
            type="url"
            required
            placeholder="https://example.com/webhooks"
            data-testid="endpoint-url"
          />
        </div>
        <div className={styles.field}>
          <label htmlFor="endpoint-description">Description (optional)</label>
          <input id="endpoint-description" name="description" maxLength={500} />
        </div>
      </div>
      <fieldset className={styles.checks}>
        <legend className={styles.legend}>Events to send</legend>
        {eventTypes.map((t) => (
          <label key={t}>
            <input type="checkbox" name="events" value={t} defaultChecked={t === '*'} data-testid={`endpoint-event-${t}`} />
            {t === '*' ? 'All events (*)' : t}
          </label>
        ))}
      </fieldset>
      <button
        type="submit"
        className="button button-small button-primary"
        disabled={pending}
        data-testid="create-endpoint-submit"
      >
        {pending ? 'Adding…' : 'Add endpoint'}
      </button>
      <div aria-live="polite">
        {state && !state.ok ? (
          <p role="alert" className="notice notice-error" data-testid="create-endpoint-error">
            {state.error}
          </p>
        ) : null}
        {state?.ok ? (
          <div className="notice" data-testid="endpoint-created">
            <p>
              Endpoint added for {state.data.url}. Its signing secret is shown <strong>only now</strong>; copy it to verify the{' '}
              <code>Stripe-Signature</code> header (the same value is in{' '}
              <code>Pay-Signature</code>), e.g. with the Stripe SDK&apos;s <code>webhooks.constructEvent</code>:
            </p>
            <code className={styles.secret} data-testid="endpoint-secret">
              {state.data.secret}
            </code>
          </div>
        ) : null}
      </div>
    </form>
  );
}
