import type { Metadata } from 'next';
import Link from 'next/link';
import { LoginForm } from '@/components/dashboard/login-form';
import styles from '../dashboard/dashboard.module.css';

export const metadata: Metadata = { title: 'Sign in' };

export default function LoginPage() {
  return (
    <main id="main" className={styles.loginPage}>
      <div className={styles.loginCard}>
        <h1>Sign in to paykit</h1>
        <p className="muted">The merchant dashboard. `npm start` prints the demo merchant’s login.</p>
        <LoginForm />
        <p className="small">
          New to paykit? <Link href="/signup">Create a merchant account</Link>.
        </p>
      </div>
    </main>
  );
}
