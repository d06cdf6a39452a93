import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@/lib/audit';
import { findSessionUser } from '@/lib/auth/users';
import { DEFAULT_PSP_ROUTING, getMerchantSettings, updateMerchantProfile, updatePspRouting } from '@/lib/merchants/settings';
import type { Actor } from '@/lib/team/actor';
import { inviteMember } from '@/lib/team/members';
import { createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function owner(name: string): Promise<Actor> {
  const m = await createTestMerchant(name);
  return { user: (await findSessionUser(m.userId))!, ip: '192.0.2.20' };
}

describe('merchant settings', () => {
  it('starts from the defaults, saves the profile and the PSP order, each audited', async () => {
    const o = await owner('Settings Shop');
    expect(await getMerchantSettings(o.user.merchantId)).toMatchObject({ name: 'Settings Shop', supportEmail: null, pspRouting: DEFAULT_PSP_ROUTING });
    await updateMerchantProfile(o, { name: '  Renamed Shop ', supportEmail: 'Help@Example.test' });
    await updatePspRouting(o, { card: ['stripe', 'sandbox_card'], mpesa: ['daraja'] });
    expect(await getMerchantSettings(o.user.merchantId)).toMatchObject({
      name: 'Renamed Shop',
      supportEmail: 'help@example.test',
      pspRouting: { card: ['stripe', 'sandbox_card'], mpesa: ['daraja'] },
    });
    expect((await findSessionUser(o.user.id))?.merchantName).toBe('Renamed Shop');
    await updateMerchantProfile(o, { name: 'Renamed Shop', supportEmail: '' });
    expect((await getMerchantSettings(o.user.merchantId)).supportEmail).toBeNull();
    const actions = (await listAudit(o.user.merchantId)).rows.map((r) => r.action);
    expect(actions).toEqual(['settings.profile_update', 'settings.psp_routing_update', 'settings.profile_update']);
  });

  it('validates the profile and the PSP lists', async () => {
    const o = await owner('Validate Settings');
    await expect(updateMerchantProfile(o, { name: '', supportEmail: '' })).rejects.toMatchObject({ code: 'parameter_invalid', param: 'name' });
    await expect(updateMerchantProfile(o, { name: 'ok', supportEmail: 'nope' })).rejects.toMatchObject({ param: 'supportEmail' });
    await expect(updatePspRouting(o, { card: [], mpesa: ['daraja'] })).rejects.toMatchObject({ param: 'card' });
    await expect(updatePspRouting(o, { card: ['stripe', 'stripe'], mpesa: ['daraja'] })).rejects.toMatchObject({ param: 'card' });
    await expect(updatePspRouting(o, { card: ['daraja'] as never, mpesa: ['daraja'] })).rejects.toMatchObject({ code: 'parameter_invalid' });
    expect((await getMerchantSettings(o.user.merchantId)).pspRouting).toEqual(DEFAULT_PSP_ROUTING);
  });

  it('only owners change settings', async () => {
    const o = await owner('Owner Only Settings');
    for (const role of ['developer', 'viewer'] as const) {
      const invited = await inviteMember(o, { email: `${role}-${Math.random().toString(36).slice(2)}@example.test`, role });
      const actor: Actor = { user: (await findSessionUser(invited.userId))!, ip: null };
      await expect(updateMerchantProfile(actor, { name: 'Hijacked', supportEmail: '' })).rejects.toMatchObject({ code: 'forbidden' });
      await expect(updatePspRouting(actor, { card: ['stripe'], mpesa: ['daraja'] })).rejects.toMatchObject({ code: 'forbidden' });
    }
    expect((await getMerchantSettings(o.user.merchantId)).name).toBe('Owner Only Settings');
  });
});
