import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Tx } from '@/db/client';
import { userAccess, users } from '@/db/schema';
import { recordAudit } from '@/lib/audit';
import { generatePassword, hashPassword } from '@/lib/auth/passwords';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { assertCan, auditActor, type Actor } from './actor';
import { parseFormInput } from '@/lib/http/validation';

export const ROLES = ['owner', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface TeamMember {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
  lastLoginAt: Date | null;
}

/** Everyone on the actor's team (any role may look). */
export async function listTeam(actor: Actor): Promise<TeamMember[]> {
  assertCan(actor, 'dashboard:read');
  return getDb()
    .select({ id: users.id, email: users.email, role: users.role, createdAt: users.createdAt, lastLoginAt: userAccess.lastLoginAt })
    .from(users)
    .leftJoin(userAccess, eq(userAccess.userId, users.id))
    .where(eq(users.merchantId, actor.user.merchantId))
    .orderBy(asc(users.createdAt), asc(users.id));
}

export const inviteInput = z.object({
  email: z.string().trim().toLowerCase().email('Enter a valid email address.').max(320),
  role: z.enum(ROLES, { message: 'Choose a role: owner, developer or viewer.' }),
});

export interface Invited {
  userId: string;
  email: string;
  role: Role;
  /** Shown once to the inviting owner; only its hash is stored. */
  password: string;
}

/** Creates a team member with a one-time password; owners only. */
export async function inviteMember(actor: Actor, input: z.input<typeof inviteInput>): Promise<Invited> {
  assertCan(actor, 'team:write');
  const { email, role } = parseFormInput(inviteInput, input);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return getDb().transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email}`).limit(1);
    if (existing) throw new AppError('parameter_invalid', 'A user with this email already exists.', { param: 'email' });
    const userId = newId('user');
    await tx.insert(users).values({ id: userId, merchantId: actor.user.merchantId, email, passwordHash, role });
    await tx.insert(userAccess).values({ userId, invitedByUserId: actor.user.id });
    await recordAudit(tx, { ...auditActor(actor), action: 'team.invite', targetType: 'user', targetId: userId, details: { email, role } });
    return { userId, email, role, password };
  });
}

export const changeRoleInput = z.object({
  userId: z.string().min(1).max(100),
  role: z.enum(ROLES, { message: 'Choose a role: owner, developer or viewer.' }),
});

/**
 * Locks the team's rows so two concurrent demotions cannot both pass the last-owner check.
 * A user of another merchant is simply not in the result: it behaves as not found.
 */
async function lockTeam(tx: Tx, merchantId: string) {
  return tx.select({ id: users.id, email: users.email, role: users.role }).from(users).where(eq(users.merchantId, merchantId)).for('update');
}

export async function changeRole(actor: Actor, input: z.input<typeof changeRoleInput>): Promise<void> {
  assertCan(actor, 'team:write');
  const { userId, role } = parseFormInput(changeRoleInput, input);
  await getDb().transaction(async (tx) => {
    const team = await lockTeam(tx, actor.user.merchantId);
    const target = team.find((m) => m.id === userId);
    if (!target) throw new AppError('resource_missing', 'No such team member.', { param: 'userId' });
    if (target.role === role) return;
    const owners = team.filter((m) => m.role === 'owner').length;
    if (target.role === 'owner' && owners <= 1) {
      throw new AppError('parameter_invalid', 'The team must keep at least one owner: make someone else an owner first.', { param: 'role' });
    }
    await tx.update(users).set({ role }).where(and(eq(users.id, userId), eq(users.merchantId, actor.user.merchantId)));
    await recordAudit(tx, { ...auditActor(actor), action: 'team.role_change', targetType: 'user', targetId: userId, details: { email: target.email, from: target.role, to: role } });
  });
}

export const removeMemberInput = z.object({ userId: z.string().min(1).max(100) });

export async function removeMember(actor: Actor, input: z.input<typeof removeMemberInput>): Promise<void> {
  assertCan(actor, 'team:write');
  const { userId } = parseFormInput(removeMemberInput, input);
  if (userId === actor.user.id) throw new AppError('parameter_invalid', 'You cannot remove yourself.', { param: 'userId' });
  await getDb().transaction(async (tx) => {
    const team = await lockTeam(tx, actor.user.merchantId);
    const target = team.find((m) => m.id === userId);
    if (!target) throw new AppError('resource_missing', 'No such team member.', { param: 'userId' });
    if (target.role === 'owner' && team.filter((m) => m.role === 'owner').length <= 1) {
      throw new AppError('parameter_invalid', 'The last owner cannot be removed.', { param: 'userId' });
    }
    await tx.delete(users).where(and(eq(users.id, userId), eq(users.merchantId, actor.user.merchantId)));
    await recordAudit(tx, { ...auditActor(actor), action: 'team.remove', targetType: 'user', targetId: userId, details: { email: target.email, role: target.role } });
  });
}
