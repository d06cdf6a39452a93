import Link from 'next/link';
import type { OverviewRange } from '@/lib/dashboard/overview';
import styles from './charts.module.css';

const PRESETS = [
  { preset: '7d', label: '7 days' },
  { preset: '30d', label: '30 days' },
  { preset: '90d', label: '90 days' },
] as const;

/**
 * The overview's period: three preset links and a custom from/to form. Plain links and a GET
 * form, so the range lives in the URL (shareable, back button works) and needs no script.
 */
export function DateRangeControl({ range, basePath }: { range: OverviewRange; basePath: string }) {
  return (
    <div className={styles.range} data-testid="date-range">
      <nav className={styles.presets} aria-label="Date range">
        {PRESETS.map((p) => (
          <Link
            key={p.preset}
            href={`${basePath}?range=${p.preset}`}
            aria-current={range.preset === p.preset ? 'true' : undefined}
            data-testid={`range-${p.preset}`}
          >
            {p.label}
          </Link>
        ))}
      </nav>
      <form method="get" action={basePath} className={styles.custom} aria-label="Custom date range" data-testid="range-custom">
        <label>
          From (UTC)
          <input type="date" name="from" defaultValue={range.from} required data-testid="range-from" />
        </label>
        <label>
          To (UTC)
          <input type="date" name="to" defaultValue={range.to} required data-testid="range-to" />
        </label>
        <button type="submit" className="button button-small button-secondary" data-testid="range-apply">
          Show
        </button>
      </form>
    </div>
  );
}
