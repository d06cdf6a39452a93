import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { auditLog, users } from '@/db/schema';
import { listAudit } from '@/lib/audit';
import { attemptLogin, findSessionUser } from '@/lib/auth/users';
import type { Actor } from '@/lib/team/actor';
import { changeRole, inviteMember, listTeam, removeMember } from '@/lib/team/members';
import { createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function ownerOf(name: string): Promise<Actor> {
  const m = await createTestMerchant(name);
  const user = await findSessionUser(m.userId);
  if (!user) throw new Error('owner missing');
  return { user, ip: '198.51.100.7' };
}

async function actorFor(userId: string): Promise<Actor> {
  const user = await findSessionUser(userId);
  if (!user) throw new Error('user missing');
  return { user, ip: '198.51.100.8' };
}

const email = (tag: string) => `${tag}-${Math.random().toString(36).slice(2)}@example.test`;

describe('team management', () => {
  it('an owner invites a member with a one-time password that signs in, and the invite is audited', async () => {
    const owner = await ownerOf('Team Shop');
    const invited = await inviteMember(owner, { email: email('Dev').toUpperCase(), role: 'developer' });
    expect(invited.email).toBe(invited.email.toLowerCase());
    expect(invited.password.length).toBeGreaterThanOrEqual(16);
    const team = await listTeam(owner);
    expect(team.map((m) => [m.email, m.role])).toEqual([
      [owner.user.email, 'owner'],
      [invited.email, 'developer'],
    ]);
    const login = await attemptLogin({ email: invited.email, password: invited.password, ip: '203.0.113.50' });
    expect(login).toMatchObject({ ok: true, user: { id: invited.userId, role: 'developer', merchantId: owner.user.merchantId } });
    const { rows } = await listAudit(owner.user.merchantId);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['team.invite', 'user.login']));
    const invite = rows.find((r) => r.action === 'team.invite')!;
    expect(invite).toMatchObject({ userId: owner.user.id, actorEmail: owner.user.email, targetId: invited.userId, ip: '198.51.100.7', details: { role: 'developer' } });
    expect(JSON.stringify(rows)).not.toContain(invited.password);
  });

  it('validates the invite and refuses an email already in use', async () => {
    const owner = await ownerOf('Validating Shop');
    await expect(inviteMember(owner, { email: 'not-an-email', role: 'viewer' })).rejects.toMatchObject({ code: 'parameter_invalid', param: 'email' });
    await expect(inviteMember(owner, { email: email('x'), role: 'admin' as never })).rejects.toMatchObject({ code: 'parameter_invalid', param: 'role' });
    await expect(inviteMember(owner, { email: owner.user.email.toUpperCase(), role: 'viewer' })).rejects.toMatchObject({ code: 'parameter_invalid', message: expect.stringContaining('already exists') });
  });

  it('developers and viewers may look at the team but not change it', async () => {
    const owner = await ownerOf('Roles Shop');
    const dev = await actorFor((await inviteMember(owner, { email: email('dev'), role: 'developer' })).userId);
    const viewer = await actorFor((await inviteMember(owner, { email: email('viewer'), role: 'viewer' })).userId);
    expect(await listTeam(viewer)).toHaveLength(3);
    for (const actor of [dev, viewer]) {
      await expect(inviteMember(actor, { email: email('y'), role: 'owner' })).rejects.toMatchObject({ code: 'forbidden' });
      await expect(changeRole(actor, { userId: actor.user.id, role: 'owner' })).rejects.toMatchObject({ code: 'forbidden' });
      await expect(removeMember(actor, { userId: owner.user.id })).rejects.toMatchObject({ code: 'forbidden' });
    }
    expect((await findSessionUser(viewer.user.id))?.role).toBe('viewer');
  });

  it('changes a role (audited with from/to), and never leaves the team without an owner', async () => {
    const owner = await ownerOf('Owner Shop');
    await expect(changeRole(owner, { userId: owner.user.id, role: 'viewer' })).rejects.toMatchObject({ message: expect.stringContaining('at least one owner') });
    const second = await inviteMember(owner, { email: email('second'), role: 'viewer' });
    await changeRole(owner, { userId: second.userId, role: 'owner' });
    expect((await findSessionUser(second.userId))?.role).toBe('owner');
    // with two owners, one may step down
    await changeRole(owner, { userId: owner.user.id, role: 'developer' });
    expect((await findSessionUser(owner.user.id))?.role).toBe('developer');
    const secondOwner = await actorFor(second.userId);
    await expect(changeRole(secondOwner, { userId: second.userId, role: 'viewer' })).rejects.toMatchObject({ code: 'parameter_invalid' });
    const [entry] = await getDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, second.userId), eq(auditLog.action, 'team.role_change')));
    expect(entry?.details).toMatchObject({ from: 'viewer', to: 'owner' });
  });

  it('two concurrent demotions of the only two owners leave one owner', async () => {
    const owner = await ownerOf('Race Shop');
    const second = await inviteMember(owner, { email: email('race'), role: 'owner' });
    const secondOwner = await actorFor(second.userId);
    const results = await Promise.allSettled([
      changeRole(owner, { userId: owner.user.id, role: 'viewer' }),
      changeRole(secondOwner, { userId: second.userId, role: 'viewer' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const owners = await getDb().select().from(users).where(and(eq(users.merchantId, owner.user.merchantId), eq(users.role, 'owner')));
    expect(owners).toHaveLength(1);
  });

  it('removes a member (who can no longer sign in), but not yourself and not the last owner', async () => {
    const owner = await ownerOf('Remove Shop');
    const viewer = await inviteMember(owner, { email: email('gone'), role: 'viewer' });
    await expect(removeMember(owner, { userId: owner.user.id })).rejects.toMatchObject({ message: 'You cannot remove yourself.' });
    await removeMember(owner, { userId: viewer.userId });
    expect(await findSessionUser(viewer.userId)).toBeNull();
    expect(await attemptLogin({ email: viewer.email, password: viewer.password, ip: '203.0.113.51' })).toEqual({ ok: false, reason: 'invalid' });
    const { rows } = await listAudit(owner.user.merchantId);
    expect(rows.find((r) => r.action === 'team.remove')).toMatchObject({ targetId: viewer.userId, details: { email: viewer.email } });

    // another owner tries to remove the only remaining owner after being demoted: refused
    const co = await inviteMember(owner, { email: email('co'), role: 'owner' });
    const coOwner = await actorFor(co.userId);
    await changeRole(owner, { userId: owner.user.id, role: 'developer' });
    const demoted = await actorFor(owner.user.id);
    await expect(removeMember(demoted, { userId: co.userId })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(removeMember(coOwner, { userId: co.userId })).rejects.toMatchObject({ message: 'You cannot remove yourself.' });
  });

  it('treats another merchant’s user id as not found', async () => {
    const a = await ownerOf('A Shop');
    const b = await ownerOf('B Shop');
    const bViewer = await inviteMember(b, { email: email('bv'), role: 'viewer' });
    await expect(changeRole(a, { userId: bViewer.userId, role: 'owner' })).rejects.toMatchObject({ code: 'resource_missing' });
    await expect(removeMember(a, { userId: b.user.id })).rejects.toMatchObject({ code: 'resource_missing' });
    expect((await findSessionUser(bViewer.userId))?.role).toBe('viewer');
    expect((await listTeam(a)).map((m) => m.id)).toEqual([a.user.id]);
  });
});
