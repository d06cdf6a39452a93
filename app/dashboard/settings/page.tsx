import type { Metadata } from 'next';
import styles from '@/components/dashboard/access/access.module.css';
import { SettingsNav } from '@/components/dashboard/access/settings-nav';
import { ProfileForm, PspRoutingForm } from '@/components/dashboard/access/settings-forms';
import { can } from '@/lib/auth/permissions';
import { stripePayPageDisabledReason } from '@/lib/checkout/pay';
import { getMerchantSettings, ROUTABLE_PSPS } from '@/lib/merchants/settings';
import { requirePermission } from '../guard';
import { saveLateSuccessPolicyAction, saveProfileAction, savePspRoutingAction } from './actions';
import { saveReceiptsSettingAction } from './receipts-action';
import { receiptsEnabled } from '@/lib/receipts';
import { SettingCheckboxForm } from '@/components/dashboard/access/setting-checkbox-form';

export const metadata: Metadata = { title: 'Settings' };
export const dynamic = 'force-dynamic';

export default async function SettingsPage() {
  const user = await requirePermission('dashboard:read');
  const settings = await getMerchantSettings(user.merchantId);
  const canWrite = can(user, 'settings:write');
  // Covers the secret key (pspDisabledReason) and the pay page's publishable key.
  const stripeDisabled = stripePayPageDisabledReason();
  const sendReceipts = await receiptsEnabled(user.merchantId);
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
        <p className="muted" data-testid="routing-explainer">
          Card payments try these PSPs in order. The next one is used only when the first cannot be reached before the request
          leaves (a PSP that may have charged is asked for the outcome instead, never charged again elsewhere). Disabled PSPs are
          skipped.
        </p>
        {stripeDisabled && (
          <p className="notice notice-warning" data-testid="stripe-disabled">
            Stripe is disabled: {stripeDisabled}. Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET on the
            server to route card payments to Stripe; until then cards go to the sandbox network.
          </p>
        )}
        <PspRoutingForm
          save={savePspRoutingAction}
          canWrite={canWrite}
          card={settings.pspRouting.card}
          mpesa={settings.pspRouting.mpesa}
          cardOptions={ROUTABLE_PSPS.card}
          mpesaOptions={ROUTABLE_PSPS.mpesa}
        />
      </section>
      <section className={styles.card} aria-labelledby="receipts-heading">
        <h2 id="receipts-heading">Customer receipts</h2>
        <SettingCheckboxForm
          save={saveReceiptsSettingAction}
          canWrite={canWrite}
          enabled={sendReceipts}
          id="receipts-enabled"
          name="receipts_enabled"
          label="Email customers a receipt for each successful payment and refund"
          saved="Receipt setting saved."
          testIds={{ input: 'receipts-enabled', message: 'receipts', save: 'receipts-save' }}
        />
      </section>
      <section className={styles.card} aria-labelledby="late-success-heading">
        <h2 id="late-success-heading">Late successes</h2>
        <p className="muted" data-testid="late-success-explainer">
          Sometimes a PSP charges a customer after we showed the payment as failed (its answer was lost, or it completed after we
          gave up). Daily reconciliation finds these charges. By default the money goes back to the customer. With this on, such a
          charge is booked as the payment instead (you receive payment_intent.succeeded) when its order is still open: the payment
          was not canceled or paid another way, and its checkout session has not expired. Otherwise it is still given back.
        </p>
        <SettingCheckboxForm
          save={saveLateSuccessPolicyAction}
          canWrite={canWrite}
          enabled={settings.acceptLateSuccesses}
          id="accept-late-successes"
          name="accept_late_successes"
          label="Accept late successes: book a payment the PSP charged after we had shown it failed, while its order is still open"
          saved="Late-success policy saved."
          testIds={{ input: 'accept-late-successes', message: 'late-success', save: 'late-success-save' }}
        />
      </section>
    </div>
  );
}
