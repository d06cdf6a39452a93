'use client';

import { useActionState, useState } from 'react';
import type { Invited, Role } from '@/lib/team/members';
import type { ActionResult } from './action-result';
import styles from './access.module.css';
import { FormMessage } from './form-message';
import { SecretReveal } from './secret-reveal';
import { DataTable } from '../ui/data-table';

type PlainAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

export interface TeamRow {
  id: string;
  email: string;
  role: Role;
  joined: string;
  lastLogin: string;
  isYou: boolean;
}

const ROLE_LABELS: Record<Role, string> = { owner: 'Owner (everything)', developer: 'Developer (keys, webhooks)', viewer: 'Viewer (read only)' };
const ROLES = Object.keys(ROLE_LABELS) as Role[];

export function InviteForm({ invite }: { invite: (prev: ActionResult<Invited>, form: FormData) => Promise<ActionResult<Invited>> }) {
  const [state, action, pending] = useActionState(invite, null);
  return (
    <>
      {state?.ok ? (
        <SecretReveal
          title={`${state.data.email} was added as ${state.data.role}. Their one-time password:`}
          value={state.data.password}
          testId="invite-password"
          note="Give it to them privately; it will not be shown again. They sign in at /login with their email and this password."
        />
      ) : null}
      <form action={action} className={styles.form} aria-describedby="invite-hint">
        <div className={styles.inline}>
          <div>
            <label htmlFor="invite-email">Email</label>
            <input id="invite-email" name="email" type="email" required autoComplete="off" data-testid="invite-email" aria-invalid={state?.ok === false && state.field === 'email'} />
          </div>
          <div>
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" name="role" defaultValue="viewer" data-testid="invite-role">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p id="invite-hint" className={styles.hint}>
          The new member gets a one-time password, shown here once.
        </p>
        <FormMessage state={state} testId="invite" />
        <div>
          <button type="submit" className="button button-primary" disabled={pending} data-testid="invite-submit">
            {pending ? 'Adding…' : 'Add member'}
          </button>
        </div>
      </form>
    </>
  );
}

export function TeamTable({ rows, canWrite, changeRole, remove }: { rows: TeamRow[]; canWrite: boolean; changeRole: PlainAction; remove: PlainAction }) {
  const [roleState, roleAction, changing] = useActionState(changeRole, null);
  const [removeState, removeAction, removing] = useActionState(remove, null);
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <>
      <FormMessage state={roleState} success="Role updated." testId="change-role" />
      <FormMessage state={removeState} success="Member removed." testId="remove-member" />
      <p className="small muted">{rows.length === 1 ? '1 member' : `${rows.length} members`}</p>
      <DataTable
        caption="Team members"
        testId="team-table"
        rows={rows}
        rowKey={(m) => m.id}
        rowProps={(m) => ({ 'data-testid': 'team-row', 'data-email': m.email })}
        columns={[
          {
            header: 'Email',
            kind: 'wrap',
            cell: (m) => (
              <>
                {m.email} {m.isYou ? <span className="muted small">(you)</span> : null}
              </>
            ),
          },
          {
            header: 'Role',
            cell: (m) =>
              canWrite ? (
                <form action={roleAction} className={styles.rowActions}>
                  <input type="hidden" name="userId" value={m.id} />
                  <label htmlFor={`role-${m.id}`} className="visually-hidden">
                    Role of {m.email}
                  </label>
                  <select id={`role-${m.id}`} name="role" defaultValue={m.role} className={styles.select} data-testid="member-role">
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                  <button type="submit" className="button button-small button-secondary" disabled={changing} aria-label={`Save role of ${m.email}`}>
                    Save
                  </button>
                </form>
              ) : (
                <span data-testid="member-role-text">{m.role}</span>
              ),
          },
          { header: 'Last sign-in', kind: 'nowrap', cell: (m) => m.lastLogin },
          { header: 'Added', kind: 'nowrap', cell: (m) => m.joined },
          ...(canWrite
            ? [
                {
                  header: 'Remove',
                  cell: (m: (typeof rows)[number]) =>
                    m.isYou ? null : confirming === m.id ? (
                      <form action={removeAction} className={styles.rowActions}>
                        <input type="hidden" name="userId" value={m.id} />
                        <button type="submit" className="button button-small button-primary" disabled={removing} data-testid="confirm-remove-member">
                          Confirm removal
                        </button>
                        <button type="button" className="button button-small button-secondary" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <button type="button" className="button button-small button-secondary" onClick={() => setConfirming(m.id)} aria-label={`Remove ${m.email}`} data-testid="remove-member">
                        Remove
                      </button>
                    ),
                },
              ]
            : []),
        ]}
      />
    </>
  );
}
