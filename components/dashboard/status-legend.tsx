import { STATUS_LEGEND } from '@/lib/dashboard/status-labels';
import styles from './status-badge.module.css';

/** What each payment label means, one click away under the list. */
export function StatusLegend() {
  return (
    <details className={styles.legend} data-testid="status-legend">
      <summary>What the statuses mean</summary>
      <dl>
        {STATUS_LEGEND.map((s) => (
          <div key={s.key}>
            <dt>{s.label}</dt>
            <dd>{s.meaning}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
