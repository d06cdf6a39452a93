/** Latency samples in microseconds; percentiles by nearest rank. */
export function percentileUs(samplesUs: number[], p: number): number {
  if (samplesUs.length === 0) return 0;
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function formatMs(us: number): string {
  return (us / 1000).toFixed(2);
}

export function formatTable(columns: string[], rows: Array<Array<string | number>>): string {
  const cells = [columns, ...rows.map((r) => r.map(String))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

export interface LoadResult {
  operations: number;
  errors: number;
  elapsedMs: number;
  latenciesUs: number[];
  firstError?: unknown;
  /** CPU time this (client) process spent during the run. */
  clientCpuUs: number;
}

/**
 * Runs `producers` loops that each call `operation` back to back for `durationMs`, and records
 * every call's latency. An operation gets its producer index and a per-producer sequence number.
 */
export async function runLoad(
  producers: number,
  durationMs: number,
  operation: (producer: number, seq: number) => Promise<void>,
): Promise<LoadResult> {
  const latenciesUs: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: producers }, async (_, producer) => {
      for (let seq = 0; performance.now() < deadline; seq++) {
        const t0 = performance.now();
        try {
          await operation(producer, seq);
          latenciesUs.push((performance.now() - t0) * 1000);
        } catch (err) {
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - started;
  return { operations: latenciesUs.length, errors, elapsedMs, latenciesUs, firstError, clientCpuUs: cpu.user + cpu.system };
}
