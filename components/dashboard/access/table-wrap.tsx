import type { ReactNode } from 'react';
import styles from './access.module.css';

/** A horizontally scrollable table box that keyboard users can focus and scroll (narrow screens). */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    // focusable: a scrollable region must be reachable by keyboard to scroll it
    <div className={styles.tableWrap} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
