'use client';

import {
  Bar,
  BarChart,
  CartesianGrid,
  Label,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { DayStats } from '@/lib/dashboard/overview';
import { CURRENCIES, formatMoney, isCurrency } from '@/lib/money';
import styles from './charts.module.css';

const HEIGHT = 240;
const MARGIN = { top: 16, right: 16, bottom: 28, left: 8 };

function shortDay(day: string): string {
  return day.slice(5).replace('-', '/');
}

/** Major units for the axis (a number, not money: the axis title names the currency). */
function major(minor: number, currency: string): number {
  const exponent = isCurrency(currency) ? CURRENCIES[currency].exponent : 2;
  return minor / 10 ** exponent;
}

function compact(n: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

const AXIS_TITLE = { fill: 'var(--text)', fontSize: 12 };
const Y_TITLE = { ...AXIS_TITLE, angle: -90, position: 'insideLeft' as const, style: { textAnchor: 'middle' as const } };

/**
 * The day axis both charts share: short labels, never crowded (recharts drops a label that would
 * touch its neighbour), the first and the last day (today) always labelled.
 */
function dayAxis() {
  return {
    dataKey: 'day',
    tickFormatter: shortDay,
    interval: 'preserveStartEnd' as const,
    minTickGap: 12,
    tick: { fontSize: 12, fill: 'var(--muted)' },
  };
}

function TodayLine({ today, days }: { today: string; days: DayStats[] }) {
  if (!days.some((d) => d.day === today)) return null;
  return (
    <ReferenceLine x={today} stroke="var(--muted)" strokeDasharray="4 3" ifOverflow="extendDomain">
      <Label value="Today" position="insideTopRight" fill="var(--text)" fontSize={12} />
    </ReferenceLine>
  );
}

/**
 * Daily captured volume in one currency as bars, with a labelled y axis in that currency, a
 * tooltip per day and today marked. The figure's caption and the table below carry the numbers.
 */
export function VolumeChart({ days, currency, today }: { days: DayStats[]; currency: string; today: string }) {
  const code = currency.toUpperCase();
  const data = days.map((d) => ({ day: d.day, value: major(d.volume[currency] ?? 0, currency), minor: d.volume[currency] ?? 0 }));
  const total = data.reduce((a, d) => a + d.minor, 0);
  const best = Math.max(...data.map((d) => d.minor), 0);
  const titleId = `volume-${currency}-title`;
  return (
    <figure className={styles.figure} data-testid={`volume-chart-${currency}`} data-days={days.length} aria-labelledby={titleId}>
      <h3 id={titleId} className={styles.title} data-testid="chart-title">
        Captured volume ({code}), {days.length} days
      </h3>
      <div
        className={styles.plot}
        role="img"
        aria-label={`Bar chart of captured volume in ${code} per day; total ${formatMoney(total, currency)}, highest day ${formatMoney(best, currency)}.`}
      >
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={data} margin={MARGIN} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis {...dayAxis()}>
              <Label value="Day (UTC)" {...AXIS_TITLE} position="insideBottom" offset={-16} />
            </XAxis>
            <YAxis tickFormatter={compact} width={64} tick={{ fontSize: 12, fill: 'var(--muted)' }} allowDecimals={false}>
              <Label value={code} {...Y_TITLE} />
            </YAxis>
            <Tooltip
              formatter={(_value, _name, item) => [formatMoney((item.payload as { minor: number }).minor, currency), `Captured`]}
              labelFormatter={(label) => `${String(label)} (UTC)`}
            />
            <TodayLine today={today} days={days} />
            <Bar dataKey="value" name={`Volume ${code}`} fill="var(--brand)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="small muted">
        Total {formatMoney(total, currency)} captured in {days.length} days; highest day {formatMoney(best, currency)}.
      </figcaption>
    </figure>
  );
}

/**
 * The daily success rate (approved / finished attempts) as a line joined across days without
 * attempts, plus the period's overall rate as a horizontal line, so even a single busy day reads
 * as a level rather than a lone dot.
 */
export function SuccessRateChart({ days, today }: { days: DayStats[]; today: string }) {
  const data = days.map((d) => ({
    day: d.day,
    rate: d.successRate === null ? null : Math.round(d.successRate * 1000) / 10,
    succeeded: d.succeeded,
    finished: d.succeeded + d.failed,
  }));
  const finished = days.reduce((a, d) => a + d.succeeded + d.failed, 0);
  const succeeded = days.reduce((a, d) => a + d.succeeded, 0);
  const overall = finished ? Math.round((succeeded / finished) * 1000) / 10 : null;
  return (
    <figure className={styles.figure} data-testid="success-chart" data-days={days.length} aria-labelledby="success-rate-title">
      <h3 id="success-rate-title" className={styles.title} data-testid="chart-title">
        Payment success rate (%), {days.length} days
      </h3>
      <div
        className={styles.plot}
        role="img"
        aria-label={
          overall === null
            ? 'Line chart of the daily success rate: no finished payment attempts in this period.'
            : `Line chart of the daily success rate; ${overall}% of ${finished} finished attempts succeeded.`
        }
      >
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <LineChart data={data} margin={MARGIN} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis {...dayAxis()}>
              <Label value="Day (UTC)" {...AXIS_TITLE} position="insideBottom" offset={-16} />
            </XAxis>
            <YAxis
              domain={[0, 100]}
              ticks={[0, 25, 50, 75, 100]}
              width={64}
              unit="%"
              tick={{ fontSize: 12, fill: 'var(--muted)' }}
            >
              <Label value="Success rate" {...Y_TITLE} />
            </YAxis>
            <Tooltip
              formatter={(_value, _name, item) => {
                const p = item.payload as { rate: number | null; succeeded: number; finished: number };
                return [p.rate === null ? 'no attempts' : `${p.rate}% (${p.succeeded} of ${p.finished})`, 'Success rate'];
              }}
              labelFormatter={(label) => `${String(label)} (UTC)`}
            />
            <TodayLine today={today} days={days} />
            {overall === null ? null : (
              <ReferenceLine y={overall} stroke="var(--muted)" strokeDasharray="2 4">
                <Label value={`Period ${overall}%`} position="insideBottomLeft" fill="var(--text)" fontSize={12} />
              </ReferenceLine>
            )}
            <Line
              type="monotone"
              dataKey="rate"
              name="Success rate"
              stroke="var(--success)"
              strokeWidth={2}
              dot={{ r: 3 }}
              connectNulls
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="small muted">
        {overall === null
          ? 'No finished attempts in this period.'
          : `${overall}% success over ${finished} finished ${finished === 1 ? 'attempt' : 'attempts'}.`}
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
