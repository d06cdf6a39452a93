import styles from './status-badge.module.css';

const TONE: Record<string, string | undefined> = {
  succeeded: styles.good,
  enabled: styles.good,
  canceled: styles.bad,
  failed: styles.bad,
  disabled: styles.bad,
  block: styles.bad,
  requires_capture: styles.warn,
  pending: styles.warn,
  review: styles.warn,
};

/** A payment, refund, delivery or endpoint status as a small pill; the text says it, color only helps. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`${styles.badge} ${TONE[status] ?? ''}`} data-testid={testId}>
      {status.replaceAll('_', ' ')}
    </span>
  );
}
