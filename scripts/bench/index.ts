/**
 * `npm run bench [-- name...]`: runs the registered benchmarks against a throwaway database and
 * prints one table each. To add one, write scripts/bench/<name>.ts exporting a Benchmark and
 * list it in BENCHMARKS.
 */
import { openBenchDatabase } from './database';
import { e2eBenchmark } from './e2e';
import { engineBenchmark } from './engine';
import { ledgerBenchmark } from './ledger';
import { reconcileBenchmark } from './reconcile';
import { redundancyBenchmark } from './redundancy';
import { formatTable } from './stats';
import type { Benchmark } from './types';

export const BENCHMARKS: Benchmark[] = [ledgerBenchmark, engineBenchmark, reconcileBenchmark, e2eBenchmark, redundancyBenchmark];

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const selected = wanted.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => wanted.includes(b.name));
  if (selected.length === 0)
    throw new Error(`No benchmark named ${wanted.join(', ')}. Known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  let ok = true;
  for (const bench of selected) {
    const db = await openBenchDatabase(log);
    try {
      log(`${bench.name}: ${bench.description}`);
      const report = await bench.run({ databaseUrl: db.url, log });
      console.log(`\n${report.title}\n${formatTable(report.columns, report.rows)}`);
      for (const note of report.notes) console.log(note);
      console.log('');
      ok &&= report.ok;
    } finally {
      await db.stop();
    }
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
