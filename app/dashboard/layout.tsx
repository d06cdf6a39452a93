import Link from 'next/link';
import type { ReactNode } from 'react';
import { SignOutButton } from '@/components/dashboard/sign-out-button';
import styles from './dashboard.module.css';
import { requireUser } from './session';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <div className={styles.shell}>
      <header className={styles.topbar}>
        <Link href="/dashboard" className={styles.brand}>
          paykit · <span data-testid="merchant-name">{user.merchantName}</span>
        </Link>
        <nav className={styles.nav} aria-label="Dashboard">
          <Link href="/dashboard">Payments</Link>
          <Link href="/store">Storefront</Link>
          <span className="muted small">
            {user.email} ({user.role})
          </span>
          <SignOutButton />
        </nav>
      </header>
      <main id="main" className={styles.main}>
        {children}
      </main>
    </div>
  );
}
