'use client';

import { useState, type ReactNode } from 'react';
import styles from './dashboard-nav.module.css';
import { useHydrated } from './use-hydrated';

/**
 * A filter form's body that folds away on a phone behind a "Filters" button (open from the start
 * when filters are applied, so the merchant sees what narrows the list). Always open on wide
 * screens, and without script.
 */
export function FilterDisclosure({ active, children }: { active: number; children: ReactNode }) {
  const hydrated = useHydrated();
  const [open, setOpen] = useState(active > 0);
  return (
    <>
      <button
        type="button"
        className={`button button-small button-secondary ${styles.filtersToggle}`}
        aria-expanded={open}
        aria-controls="filter-fields"
        onClick={() => setOpen((o) => !o)}
        data-testid="filters-toggle"
        hidden={!hydrated}
      >
        {open ? 'Hide filters' : `Filters${active ? ` (${active} applied)` : ''}`}
      </button>
      <div id="filter-fields" className={styles.filters} data-open={open || !hydrated ? 'true' : 'false'}>
        {children}
      </div>
    </>
  );
}
