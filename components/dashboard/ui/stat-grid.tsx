import type { ReactNode } from 'react';
import styles from './ui.module.css';

/** Label/value cards in a grid that wraps; a long value (an id, an email) breaks instead of spilling. */
export function StatGrid({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <dl className={styles.statGrid} data-testid={testId}>
      {children}
    </dl>
  );
}

export function Stat({
  label,
  children,
  testId,
  mono = false,
}: {
  label: ReactNode;
  children: ReactNode;
  testId?: string;
  mono?: boolean;
}) {
  return (
    <div className={styles.stat}>
      <dt>{label}</dt>
      <dd data-testid={testId} className={mono ? styles.mono : undefined}>
        {children}
      </dd>
    </div>
  );
}
