import type { Metadata } from 'next';
import styles from '@/components/dashboard/access/access.module.css';
import { SignUpForm } from '@/components/dashboard/access/signup-form';
import { signUpAction } from './actions';

export const metadata: Metadata = { title: 'Create your account' };

export default function SignUpPage() {
  return (
    <main id="main" className={styles.authPage}>
      <div className={styles.authCard}>
        <h1>Create your paykit account</h1>
        <p className="muted">Start in test mode: a test secret key is created for you.</p>
        <SignUpForm signUp={signUpAction} />
      </div>
    </main>
  );
}
