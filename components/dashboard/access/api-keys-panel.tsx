'use client';

import { useActionState, useState } from 'react';
import type { ApiKeySummary, CreatedKey } from '@/lib/auth/api-keys';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { FormMessage } from './form-message';
import { SecretReveal } from './secret-reveal';
import { TableWrap } from './table-wrap';

type KeyAction = (prev: ActionResult<CreatedKey>, form: FormData) => Promise<ActionResult<CreatedKey>>;
type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

interface Props {
  keys: (Omit<ApiKeySummary, 'createdAt' | 'lastUsedAt' | 'revokedAt'> & { created: string; lastUsed: string; revoked: boolean })[];
  canWrite: boolean;
  createKey: KeyAction;
  rollKey: KeyAction;
  revokeKey: PlainAction;
}

const SHOWN_ONCE = 'Copy it now and keep it on your server: it will not be shown again.';

export function ApiKeysPanel({ keys, canWrite, createKey, rollKey, revokeKey }: Props) {
  const [created, createAction, creating] = useActionState(createKey, null);
  const [rolled, rollAction, rolling] = useActionState(rollKey, null);
  const [revoked, revokeAction, revoking] = useActionState(revokeKey, null);
  const [confirming, setConfirming] = useState<{ id: string; kind: 'roll' | 'revoke' } | null>(null);
  const fresh = rolled?.ok ? rolled.data : created?.ok ? created.data : null;

  return (
    <>
      {fresh ? <SecretReveal title={`New secret key ${fresh.redacted}`} value={fresh.secretKey} testId="new-secret-key" note={SHOWN_ONCE} /> : null}
      <FormMessage state={created} testId="create-key" />
      <FormMessage state={rolled} testId="roll-key" />
      <FormMessage state={revoked} success="The key was revoked. Requests using it now get 401." testId="revoke-key" />
      {canWrite ? (
        <form action={createAction} className={styles.rowActions}>
          <button type="submit" className="button button-primary" disabled={creating} data-testid="create-api-key">
            {creating ? 'Creating…' : 'Create secret key'}
          </button>
        </form>
      ) : (
        <p className={styles.hint} data-testid="keys-read-only">
          Your role can view keys but not create, roll or revoke them.
        </p>
      )}
      {keys.length === 0 ? (
        <p className={styles.empty}>No API keys yet.</p>
      ) : (
        <TableWrap label="API keys">
          <table className={styles.table} data-testid="api-keys-table">
            <caption>Secret keys (only the first and last characters are kept for display)</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                {canWrite ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-testid="api-key-row" data-key-id={key.id}>
                  <td className={styles.mono}>{key.redacted}</td>
                  <td className={styles.nowrap}>{key.created}</td>
                  <td className={styles.nowrap}>{key.lastUsed}</td>
                  <td>
                    <span className={`${styles.badge} ${key.revoked ? styles.badgeBad : styles.badgeOk}`}>{key.revoked ? 'Revoked' : `Active (${key.mode})`}</span>
                  </td>
                  {canWrite ? (
                    <td>
                      {key.revoked ? null : confirming?.id === key.id ? (
                        <form action={confirming.kind === 'roll' ? rollAction : revokeAction} className={styles.rowActions}>
                          <input type="hidden" name="keyId" value={key.id} />
                          <button type="submit" className="button button-small button-primary" disabled={rolling || revoking} data-testid={`confirm-${confirming.kind}-key`}>
                            {confirming.kind === 'roll' ? 'Confirm roll' : 'Confirm revoke'}
                          </button>
                          <button type="button" className="button button-small button-secondary" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                        </form>
                      ) : (
                        <div className={styles.rowActions}>
                          <button type="button" className="button button-small button-secondary" onClick={() => setConfirming({ id: key.id, kind: 'roll' })} data-testid="roll-key" aria-label={`Roll key ${key.redacted}`}>
                            Roll
                          </button>
                          <button type="button" className="button button-small button-secondary" onClick={() => setConfirming({ id: key.id, kind: 'revoke' })} data-testid="revoke-key" aria-label={`Revoke key ${key.redacted}`}>
                            Revoke
                          </button>
                        </div>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
