import type { Metadata } from 'next';
import styles from '@/components/dashboard/access/access.module.css';
import { formatWhen } from '@/components/dashboard/access/format';
import { SettingsNav } from '@/components/dashboard/access/settings-nav';
import { InviteForm, TeamTable } from '@/components/dashboard/access/team-panel';
import { can } from '@/lib/auth/permissions';
import { listTeam } from '@/lib/team/members';
import { requirePermission } from '../../guard';
import { changeRoleAction, inviteAction, removeMemberAction } from './actions';

export const metadata: Metadata = { title: 'Team' };
export const dynamic = 'force-dynamic';

export default async function TeamPage() {
  const user = await requirePermission('dashboard:read');
  const members = await listTeam({ user, ip: null });
  const canWrite = can(user, 'team:write');
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1>Team</h1>
        <p className="muted">
          Who can sign in to this dashboard. Owners can do everything; developers manage API keys and webhooks; viewers only read.
        </p>
      </header>
      <SettingsNav current="/dashboard/settings/team" />
      <section className={styles.card} aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        {!canWrite ? <p className={styles.hint}>Only owners can add, change or remove members.</p> : null}
        <TeamTable
          rows={members.map((m) => ({
            id: m.id,
            email: m.email,
            role: m.role,
            joined: formatWhen(m.createdAt),
            lastLogin: formatWhen(m.lastLoginAt, 'Never'),
            isYou: m.id === user.id,
          }))}
          canWrite={canWrite}
          changeRole={changeRoleAction}
          remove={removeMemberAction}
        />
      </section>
      {canWrite ? (
        <section className={styles.card} aria-labelledby="invite-heading">
          <h2 id="invite-heading">Add a member</h2>
          <InviteForm invite={inviteAction} />
        </section>
      ) : null}
    </div>
  );
}
