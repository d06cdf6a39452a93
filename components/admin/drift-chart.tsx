'use client';

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface DriftChartPoint {
  day: string;
  /** Match rate per PSP, in percent (keys are PSP names). */
  [psp: string]: number | string;
}

/** Match rate per PSP and day: a drop is a day the PSP's books and ours disagree. */
export function DriftChart({ data, psps }: { data: DriftChartPoint[]; psps: string[] }) {
  const colors = ['#2563eb', '#16a34a', '#dc2626', '#9333ea'];
  return (
    <div style={{ width: '100%', height: 240 }} data-testid="drift-chart">
      <ResponsiveContainer>
        <LineChart data={data} margin={{ top: 16, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" tick={{ fontSize: 12 }} />
          <YAxis domain={[0, 100]} unit="%" tick={{ fontSize: 12 }} />
          <Tooltip />
          <Legend />
          {psps.map((psp, i) => (
            <Line key={psp} type="monotone" dataKey={psp} name={`${psp} match rate`} stroke={colors[i % colors.length]} dot />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
