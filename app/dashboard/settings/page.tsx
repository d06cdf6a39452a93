import type { Metadata } from 'next';
import styles from '@/components/dashboard/access/access.module.css';
import { SettingsNav } from '@/components/dashboard/access/settings-nav';
import { ProfileForm, PspRoutingForm } from '@/components/dashboard/access/settings-forms';
import { can } from '@/lib/auth/permissions';
import { getMerchantSettings, ROUTABLE_PSPS } from '@/lib/merchants/settings';
import { requirePermission } from '../guard';
import { saveProfileAction, savePspRoutingAction } from './actions';

export const metadata: Metadata = { title: 'Settings' };
export const dynamic = 'force-dynamic';

export default async function SettingsPage() {
  const user = await requirePermission('dashboard:read');
  const settings = await getMerchantSettings(user.merchantId);
  const canWrite = can(user, 'settings:write');
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1>Settings</h1>
        <p className="muted">
          Your business profile and payment routing preferences.{canWrite ? '' : ' Only owners can change them.'}
        </p>
      </header>
      <SettingsNav current="/dashboard/settings" />
      <section className={styles.card} aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <ProfileForm
          save={saveProfileAction}
          canWrite={canWrite}
          name={settings.name}
          email={settings.email}
          supportEmail={settings.supportEmail ?? ''}
        />
      </section>
      <section className={styles.card} aria-labelledby="routing-heading">
        <h2 id="routing-heading">PSP routing preferences</h2>
        <p className="notice notice-warning" data-testid="routing-not-live">
          Not used yet: payments are still routed by the platform’s default order. These preferences are saved now and will be
          honoured when preference-based routing ships in a later release.
        </p>
        <PspRoutingForm
          save={savePspRoutingAction}
          canWrite={canWrite}
          card={settings.pspRouting.card}
          mpesa={settings.pspRouting.mpesa}
          cardOptions={ROUTABLE_PSPS.card}
          mpesaOptions={ROUTABLE_PSPS.mpesa}
        />
      </section>
    </div>
  );
}
