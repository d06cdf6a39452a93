import type { Metadata } from 'next';
import { SignOutButton } from '@/components/dashboard/sign-out-button';
import styles from '../dashboard/dashboard.module.css';

export const metadata: Metadata = { title: 'Sign out' };

export default function LogoutPage() {
  return (
    <main id="main" className={styles.loginPage}>
      <div className={styles.loginCard}>
        <h1>Sign out of paykit</h1>
        <p className="muted">You will need your email and password to come back to the dashboard.</p>
        <SignOutButton />
      </div>
    </main>
  );
}
