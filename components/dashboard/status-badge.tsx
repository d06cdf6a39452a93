import type { DisplayStatus } from '@/lib/dashboard/status-labels';
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

const DISPLAY_TONE: Record<DisplayStatus['tone'], string | undefined> = {
  good: styles.good,
  bad: styles.bad,
  warn: styles.warn,
  neutral: undefined,
};

/**
 * A status as a small pill; the text says it, color only helps. A payment passes its display
 * status (a human label whose meaning is the pill's description); other records their raw status.
 */
export function StatusBadge({ status, display, testId }: { status: string; display?: DisplayStatus; testId?: string }) {
  if (display) {
    return (
      <span
        className={`${styles.badge} ${DISPLAY_TONE[display.tone] ?? ''}`}
        data-testid={testId}
        data-status={status}
        data-display={display.key}
        title={display.meaning}
      >
        {display.label}
      </span>
    );
  }
  return (
    <span className={`${styles.badge} ${TONE[status] ?? ''}`} data-testid={testId} data-status={status}>
      {status.replaceAll('_', ' ')}
    </span>
  );
}
