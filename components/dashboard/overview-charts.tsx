import type { DayStats } from '@/lib/dashboard/overview';
import { formatMoney } from '@/lib/money';
import styles from './charts.module.css';

const WIDTH = 560;
const HEIGHT = 180;
const PAD = { top: 12, right: 8, bottom: 24, left: 8 };

function shortDay(day: string): string {
  return day.slice(5).replace('-', '/');
}

/**
 * Daily captured volume in one currency as bars. Hand-written SVG: a labelled image with a text
 * summary, and the same numbers as a table below it (the accessible fallback).
 */
export function VolumeChart({ days, currency, id }: { days: DayStats[]; currency: string; id: string }) {
  const values = days.map((d) => d.volume[currency] ?? 0);
  const max = Math.max(...values, 1);
  const total = values.reduce((a, b) => a + b, 0);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / days.length;
  return (
    <figure className={styles.figure} data-testid={`volume-chart-${currency}`}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className={styles.chart} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <title id={`${id}-title`}>{`Captured volume in ${currency.toUpperCase()}, last ${days.length} days`}</title>
        <desc
          id={`${id}-desc`}
        >{`Total ${formatMoney(total, currency)}; highest day ${formatMoney(Math.max(...values, 0), currency)}.`}</desc>
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={HEIGHT - PAD.bottom} y2={HEIGHT - PAD.bottom} className={styles.axis} />
        {days.map((d, i) => {
          const v = values[i] ?? 0;
          const h = (v / max) * plotH;
          const x = PAD.left + i * slot + slot * 0.15;
          return (
            <g key={d.day}>
              <rect x={x} y={HEIGHT - PAD.bottom - h} width={slot * 0.7} height={h} className={styles.bar}>
                <title>{`${d.day}: ${formatMoney(v, currency)}`}</title>
              </rect>
              {i % 2 === 0 ? (
                <text x={x + slot * 0.35} y={HEIGHT - 8} textAnchor="middle" className={styles.label}>
                  {shortDay(d.day)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="small muted">
        Total {formatMoney(total, currency)} captured in {days.length} days.
      </figcaption>
    </figure>
  );
}

/** The daily success rate (approved / finished attempts) as a line; days without attempts are gaps. */
export function SuccessRateChart({ days, id }: { days: DayStats[]; id: string }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / days.length;
  const points = days.map((d, i) =>
    d.successRate === null ? null : { x: PAD.left + i * slot + slot / 2, y: PAD.top + (1 - d.successRate) * plotH, d },
  );
  const segments: string[] = [];
  let current: string[] = [];
  for (const p of points) {
    if (p) current.push(`${p.x.toFixed(1)},${p.y.toFixed(1)}`);
    else if (current.length) {
      segments.push(current.join(' '));
      current = [];
    }
  }
  if (current.length) segments.push(current.join(' '));
  const finished = days.reduce((a, d) => a + d.succeeded + d.failed, 0);
  const succeeded = days.reduce((a, d) => a + d.succeeded, 0);
  const overall = finished ? Math.round((succeeded / finished) * 100) : null;
  return (
    <figure className={styles.figure} data-testid="success-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className={styles.chart} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <title id={`${id}-title`}>{`Payment success rate per day, last ${days.length} days`}</title>
        <desc id={`${id}-desc`}>
          {overall === null
            ? 'No finished payment attempts in this period.'
            : `${overall}% of ${finished} finished attempts succeeded.`}
        </desc>
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top} y2={PAD.top} className={styles.grid} />
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={HEIGHT - PAD.bottom} y2={HEIGHT - PAD.bottom} className={styles.axis} />
        {segments.map((s) => (
          <polyline key={s} points={s} className={styles.line} />
        ))}
        {points.map((p) =>
          p ? (
            <circle key={p.d.day} cx={p.x} cy={p.y} r={3.5} className={styles.dot}>
              <title>{`${p.d.day}: ${Math.round((p.d.successRate ?? 0) * 100)}% (${p.d.succeeded} of ${p.d.succeeded + p.d.failed})`}</title>
            </circle>
          ) : null,
        )}
        {days.map((d, i) =>
          i % 2 === 0 ? (
            <text key={d.day} x={PAD.left + i * slot + slot / 2} y={HEIGHT - 8} textAnchor="middle" className={styles.label}>
              {shortDay(d.day)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption className="small muted">
        {overall === null
          ? 'No finished attempts yet.'
          : `${overall}% success over ${finished} finished attempts (100% at the top line).`}
      </figcaption>
    </figure>
  );
}

/** The numbers behind both charts. */
export function StatsTable({ days, currencies }: { days: DayStats[]; currencies: string[] }) {
  return (
    <details className={styles.details}>
      <summary>Show the numbers as a table</summary>
      <div className={styles.tableWrap} tabIndex={0} role="region" aria-label="Daily numbers">
        <table className={styles.table} data-testid="overview-stats-table">
          <caption className="visually-hidden">Daily volume and success rate</caption>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              {currencies.map((c) => (
                <th key={c} scope="col">
                  Volume {c.toUpperCase()}
                </th>
              ))}
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
              <th scope="col">Success rate</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                {currencies.map((c) => (
                  <td key={c}>{formatMoney(d.volume[c] ?? 0, c)}</td>
                ))}
                <td>{d.succeeded}</td>
                <td>{d.failed}</td>
                <td>{d.successRate === null ? '—' : `${Math.round(d.successRate * 100)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
