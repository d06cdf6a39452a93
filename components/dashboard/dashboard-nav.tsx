'use client';

import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import styles from './dashboard-nav.module.css';

/**
 * The dashboard's navigation: a row of links on wide screens; on a phone a "Menu" button opens
 * it (and following a link closes it again). Without script the links stay visible.
 */
export function DashboardNav({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const [scripted, setScripted] = useState(false);
  useEffect(() => setScripted(true), []);
  useEffect(() => setOpen(false), [pathname]);
  return (
    <div className={styles.wrap}>
      <button
        type="button"
        className={`button button-small button-secondary ${styles.toggle}`}
        aria-expanded={open}
        aria-controls="dashboard-nav"
        onClick={() => setOpen((o) => !o)}
        data-testid="nav-toggle"
        hidden={!scripted}
      >
        {open ? 'Close menu' : 'Menu'}
      </button>
      <nav id="dashboard-nav" className={styles.nav} aria-label="Dashboard" data-open={open || !scripted ? 'true' : 'false'}>
        {children}
      </nav>
    </div>
  );
}

/**
 * A filter form's body that folds away on a phone behind a "Filters" button (open from the start
 * when filters are applied, so the merchant sees what narrows the list). Always open on wide screens.
 */
export function FilterDisclosure({ active, children }: { active: number; children: ReactNode }) {
  const [open, setOpen] = useState(active > 0);
  const [scripted, setScripted] = useState(false);
  useEffect(() => setScripted(true), []);
  return (
    <>
      <button
        type="button"
        className={`button button-small button-secondary ${styles.filtersToggle}`}
        aria-expanded={open}
        aria-controls="filter-fields"
        onClick={() => setOpen((o) => !o)}
        data-testid="filters-toggle"
        hidden={!scripted}
      >
        {open ? 'Hide filters' : `Filters${active ? ` (${active} applied)` : ''}`}
      </button>
      <div id="filter-fields" className={styles.filters} data-open={open || !scripted ? 'true' : 'false'}>
        {children}
      </div>
    </>
  );
}
