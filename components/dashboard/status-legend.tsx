import type { DisplayStatus } from '@/lib/dashboard/status-labels';
import styles from './status-badge.module.css';

/** What each payment label means, one click away under the list. */
export function StatusLegend({ legend }: { legend: readonly DisplayStatus[] }) {
  return (
    <details className={styles.legend} data-testid="status-legend">
      <summary>What the statuses mean</summary>
      <dl>
        {legend.map((s) => (
          <div key={s.key}>
            <dt>{s.label}</dt>
            <dd>{s.meaning}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
