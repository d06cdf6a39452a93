import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { AdminNavLinks } from '@/components/admin/admin-nav-links';
import { DashboardNav } from '@/components/dashboard/dashboard-nav';
import { SignOutButton } from '@/components/dashboard/sign-out-button';
import styles from '../dashboard/dashboard.module.css';
import { OPERATOR_SIGN_IN_PATH, requireOperator } from './guard';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: { template: '%s · paykit console', default: 'paykit console' } };

/** The operator console's frame: platform operators only (requireOperator; each page checks again). */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const operator = await requireOperator();
  return (
    <div className={styles.shell}>
      <a href="#main" className={styles.skipLink}>
        Skip to content
      </a>
      <header className={styles.topbar}>
        <Link href="/admin" className={styles.brand}>
          paykit · operator console
        </Link>
        <span className="muted small" data-testid="current-operator">
          {operator.email} (operator)
        </span>
        <SignOutButton callbackUrl={OPERATOR_SIGN_IN_PATH} />
        <DashboardNav>
          <AdminNavLinks />
        </DashboardNav>
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
