'use client';

import { usePathname } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import styles from './dashboard-nav.module.css';
import { useHydrated } from './use-hydrated';

/**
 * The dashboard's navigation: a row of links on wide screens; on a phone a "Menu" button opens
 * it. The menu remembers the page it was opened on, so following a link closes it. Without
 * script the links stay visible and the button is not shown.
 */
export function DashboardNav({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const hydrated = useHydrated();
  const [openedOn, setOpenedOn] = useState<string | null>(null);
  const open = openedOn === pathname;
  return (
    <div className={styles.wrap}>
      <button
        type="button"
        className={`button button-small button-secondary ${styles.toggle}`}
        aria-expanded={open}
        aria-controls="dashboard-nav"
        onClick={() => setOpenedOn(open ? null : pathname)}
        data-testid="nav-toggle"
        hidden={!hydrated}
      >
        {open ? 'Close menu' : 'Menu'}
      </button>
      <nav id="dashboard-nav" className={styles.nav} aria-label="Dashboard" data-open={open || !hydrated ? 'true' : 'false'}>
        {children}
      </nav>
    </div>
  );
}
