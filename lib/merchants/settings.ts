import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type DbOrTx } from '@/db/client';
import { merchantSettings, merchants, type PspRoutingPreferences } from '@/db/schema';
import { recordAudit } from '@/lib/audit';
import { AppError } from '@/lib/errors';
import { assertCan, auditActor, type Actor } from '@/lib/team/actor';
import { parseFormInput } from '@/lib/http/validation';

/** The PSPs a merchant may order per payment method. Routing honours the order in a later issue. */
export const ROUTABLE_PSPS = { card: ['sandbox_card', 'stripe'], mpesa: ['daraja'] } as const satisfies Record<keyof PspRoutingPreferences, readonly string[]>;
export const DEFAULT_PSP_ROUTING: PspRoutingPreferences = { card: ['sandbox_card', 'stripe'], mpesa: ['daraja'] };

export interface MerchantProfileSettings {
  name: string;
  /** The sign-up email (read only here). */
  email: string;
  supportEmail: string | null;
  pspRouting: PspRoutingPreferences;
  /** Reconciliation books a late PSP charge for a still-open order instead of giving it back. */
  acceptLateSuccesses: boolean;
}

export async function getMerchantSettings(merchantId: string): Promise<MerchantProfileSettings> {
  const [row] = await getDb()
    .select({
      name: merchants.name,
      email: merchants.email,
      supportEmail: merchantSettings.supportEmail,
      pspRouting: merchantSettings.pspRouting,
      acceptLateSuccesses: merchantSettings.acceptLateSuccesses,
    })
    .from(merchants)
    .leftJoin(merchantSettings, eq(merchantSettings.merchantId, merchants.id))
    .where(eq(merchants.id, merchantId));
  if (!row) throw new AppError('resource_missing', 'No such merchant.');
  return {
    name: row.name,
    email: row.email,
    supportEmail: row.supportEmail,
    pspRouting: row.pspRouting ?? DEFAULT_PSP_ROUTING,
    acceptLateSuccesses: row.acceptLateSuccesses ?? false,
  };
}

export const profileInput = z.object({
  name: z.string().trim().min(1, 'Enter the business name.').max(200, 'The name is too long.'),
  supportEmail: z
    .string()
    .trim()
    .toLowerCase()
    .max(320)
    .transform((v) => (v === '' ? null : v))
    .pipe(z.email('Enter a valid support email, or leave it empty.').nullable()),
});

export async function updateMerchantProfile(actor: Actor, input: z.input<typeof profileInput>): Promise<void> {
  assertCan(actor, 'settings:write');
  const { name, supportEmail } = parseFormInput(profileInput, input);
  const merchantId = actor.user.merchantId;
  await getDb().transaction(async (tx) => {
    await tx.update(merchants).set({ name }).where(eq(merchants.id, merchantId));
    await tx
      .insert(merchantSettings)
      .values({ merchantId, supportEmail, pspRouting: DEFAULT_PSP_ROUTING })
      .onConflictDoUpdate({ target: merchantSettings.merchantId, set: { supportEmail, updatedAt: new Date() } });
    await recordAudit(tx, { ...auditActor(actor), action: 'settings.profile_update', targetType: 'merchant', targetId: merchantId, details: { name, supportEmail } });
  });
}

function orderedPsps<const T extends readonly [string, ...string[]]>(allowed: T, method: string) {
  return z
    .array(z.enum(allowed, { message: `Unknown PSP for ${method}.` }))
    .min(1, `Choose at least one PSP for ${method}.`)
    .refine((list) => new Set(list).size === list.length, `Each PSP may appear once for ${method}.`);
}

export const pspRoutingInput = z.object({
  card: orderedPsps(ROUTABLE_PSPS.card, 'card'),
  mpesa: orderedPsps(ROUTABLE_PSPS.mpesa, 'M-Pesa'),
});

export async function updatePspRouting(actor: Actor, input: z.input<typeof pspRoutingInput>): Promise<PspRoutingPreferences> {
  assertCan(actor, 'settings:write');
  const pspRouting = parseFormInput(pspRoutingInput, input);
  const merchantId = actor.user.merchantId;
  await getDb().transaction(async (tx) => {
    await tx
      .insert(merchantSettings)
      .values({ merchantId, pspRouting })
      .onConflictDoUpdate({ target: merchantSettings.merchantId, set: { pspRouting, updatedAt: new Date() } });
    await recordAudit(tx, { ...auditActor(actor), action: 'settings.psp_routing_update', targetType: 'merchant', targetId: merchantId, details: { pspRouting } });
  });
  return pspRouting;
}

/**
 * The merchant's "accept late successes" policy, read by reconciliation inside its transaction
 * (the intent's row lock held), so a change commits before or after a decision, never during it.
 * No settings row: off.
 */
export async function acceptsLateSuccesses(db: DbOrTx, merchantId: string): Promise<boolean> {
  const [row] = await db
    .select({ on: merchantSettings.acceptLateSuccesses })
    .from(merchantSettings)
    .where(eq(merchantSettings.merchantId, merchantId));
  return row?.on ?? false;
}

export const lateSuccessPolicyInput = z.object({ acceptLateSuccesses: z.boolean({ message: 'Choose whether to accept late successes.' }) });

/** Owners turn "accept late successes" on or off; the audit log says who and to what. */
export async function updateLateSuccessPolicy(actor: Actor, input: z.input<typeof lateSuccessPolicyInput>): Promise<boolean> {
  assertCan(actor, 'settings:write');
  const { acceptLateSuccesses } = parseFormInput(lateSuccessPolicyInput, input);
  const merchantId = actor.user.merchantId;
  await getDb().transaction(async (tx) => {
    await tx
      .insert(merchantSettings)
      .values({ merchantId, pspRouting: DEFAULT_PSP_ROUTING, acceptLateSuccesses })
      .onConflictDoUpdate({ target: merchantSettings.merchantId, set: { acceptLateSuccesses, updatedAt: new Date() } });
    await recordAudit(tx, {
      ...auditActor(actor),
      action: 'settings.late_success_policy_update',
      targetType: 'merchant',
      targetId: merchantId,
      details: { acceptLateSuccesses },
    });
  });
  return acceptLateSuccesses;
}
