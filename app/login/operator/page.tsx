import type { Metadata } from 'next';
import Link from 'next/link';
import { LoginForm } from '@/components/dashboard/login-form';
import styles from '../../dashboard/dashboard.module.css';

export const metadata: Metadata = { title: 'Operator sign-in' };

export default function OperatorLoginPage() {
  return (
    <main id="main" className={styles.loginPage}>
      <div className={styles.loginCard}>
        <h1>Sign in to the operator console</h1>
        <p className="muted">
          For the people who run this paykit install. Create an operator with <code>npm run admin -- operators create --email E</code>.
        </p>
        <LoginForm provider="operator" next="/admin" />
        <p className="small">
          A merchant? <Link href="/login">Sign in to the dashboard</Link>.
        </p>
      </div>
    </main>
  );
}
