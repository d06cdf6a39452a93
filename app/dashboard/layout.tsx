import Link from 'next/link';
import type { ReactNode } from 'react';
import { DashboardNav } from '@/components/dashboard/dashboard-nav';
import { NavLinks } from '@/components/dashboard/nav-links';
import { SignOutButton } from '@/components/dashboard/sign-out-button';
import styles from './dashboard.module.css';
import { requireUser } from './session';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <div className={styles.shell}>
      <a href="#main" className={styles.skipLink}>
        Skip to content
      </a>
      <header className={styles.topbar}>
        <Link href="/dashboard" className={styles.brand}>
          paykit · <span data-testid="merchant-name">{user.merchantName}</span>
        </Link>
        <span className="muted small" data-testid="current-user">
          {user.email} ({user.role})
        </span>
        <SignOutButton />
        <DashboardNav>
          <NavLinks />
          <Link href="/store">Storefront</Link>
        </DashboardNav>
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
